"""The server's Ed25519 key: it signs every audit event and the log's head.

A rebuilt chain (every hash recomputed after an edit) still fails verification, because its
signatures cannot be made without the private key, which never leaves the server's key file.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from medbench.errors import LeaderboardError
from medbench.io import sha256_hex


def load_or_create_key(path: Path) -> Any:
    """The private key in `path` (PEM); a new one, written with mode 0600, when the file is missing."""
    path = Path(path)
    return load_key(path) if path.is_file() else create_key(path)


def load_key(path: Path) -> Any:
    """The Ed25519 private key in the PEM file `path`."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    try:
        key = serialization.load_pem_private_key(Path(path).read_bytes(), password=None)
    except (ValueError, TypeError):
        raise LeaderboardError(f"{path}: not a PEM private key without a password") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise LeaderboardError(f"{path}: not an Ed25519 private key")
    return key


def create_key(path: Path) -> Any:
    """A new key written to `path` with mode 0600; if another process wrote one meanwhile, theirs."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    path = Path(path)
    key = Ed25519PrivateKey.generate()
    data = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    try:
        os.link(temporary, path)  # fails if another process created the key meanwhile: keep theirs
    except FileExistsError:
        pass
    finally:
        temporary.unlink()
    return load_key(path)


def public_pem(private_key: Any) -> str:
    from cryptography.hazmat.primitives import serialization

    return private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode("ascii")


def fingerprint(public_key_pem: str) -> str:
    """A short name for a public key, to compare with the one the hospital publishes."""
    return sha256_hex(public_key_pem.strip().encode("ascii"))[:32]


def sign(private_key: Any, message: bytes) -> str:
    return private_key.sign(message).hex()


def load_public_key(public_key_pem: str) -> Any:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    try:
        key = serialization.load_pem_public_key(public_key_pem.encode("ascii"))
    except ValueError:
        raise LeaderboardError("not a PEM public key") from None
    if not isinstance(key, Ed25519PublicKey):
        raise LeaderboardError("the public key is not an Ed25519 key")
    return key


def signature_holds(public_key: Any, message: bytes, signature_hex: str) -> bool:
    from cryptography.exceptions import InvalidSignature

    try:
        public_key.verify(bytes.fromhex(signature_hex), message)
    except (InvalidSignature, ValueError, TypeError):
        return False
    return True
