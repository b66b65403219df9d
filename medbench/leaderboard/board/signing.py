"""Ed25519 keys that sign an audit log: the committee server's, and a folder board's own.

Every event's hash and the log's head are signed. A rebuilt chain (every hash recomputed after
an edit) still fails verification, because its signatures cannot be made without the private
key, which never leaves its key file (created 0600, replaced only by a logged rotation,
`board.key_history`, `committee.key_files`).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from medbench.errors import LeaderboardError
from medbench.io import sha256_hex


def load_or_create_key(path: Path) -> Any:
    """The private key in `path` (PEM); a new one, written with mode 0600, only when nothing is at `path`.

    A file that is there but unreadable, or holds anything but an Ed25519 private key, is refused:
    replacing it would silently re-sign the log with a key nobody published.
    """
    path = Path(path)
    if os.path.lexists(path):
        return load_key(path)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    write_private_key(temporary, new_key())
    try:
        os.link(temporary, path)  # fails if another process created the key meanwhile: keep theirs
    except FileExistsError:
        pass
    finally:
        temporary.unlink()
    return load_key(path)


def pending_path(key_path: Path) -> Path:
    """Where a rotation keeps the new private key until the log has introduced it (then it is renamed over `key_path`)."""
    return key_path.with_name(f"{key_path.name}.next")


def retired_path(key_path: Path, key_fingerprint: str) -> Path:
    """Where a rotation keeps the old private key (mode 0600), named by its fingerprint."""
    return key_path.with_name(f"{key_path.name}.retired-{key_fingerprint}")


def new_key() -> Any:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    return Ed25519PrivateKey.generate()


def write_private_key(path: Path, key: Any) -> None:
    """Write `key` (PEM) to a new file `path`, mode 0600 from its creation, flushed to disk; an existing file is refused."""
    from cryptography.hazmat.primitives import serialization

    data = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def load_key(path: Path) -> Any:
    """The Ed25519 private key in the PEM file `path`; one clear refusal for anything else."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    try:
        data = Path(path).read_bytes()
    except OSError as error:
        raise LeaderboardError(f"{path}: the signing key cannot be read ({error.strerror}); it is never replaced, fix its permissions or path") from None
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError):
        key = None
    if not isinstance(key, Ed25519PrivateKey):
        raise LeaderboardError(f"{path}: not an unencrypted Ed25519 private key (PEM); it is never replaced, pass the right key file")
    return key


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
