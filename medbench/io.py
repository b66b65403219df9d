"""The few file primitives every part of medbench shares: strict models, canonical JSON, digests, atomic writes.

Defined once so that a record, a bundle, a board entry and an audit line are validated, hashed and
written the same way. Light on purpose (pydantic and the standard library): the committee's
commands import it at start-up.
"""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from pathlib import Path
from typing import Any, Callable, Optional

from pydantic import BaseModel, ConfigDict


class Strict(BaseModel):
    """A schema that refuses unknown fields and cannot be changed once built: files, not objects."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def canonical_bytes(content: Any) -> bytes:
    """The one byte form of `content` a file is written in: diffable, deterministic, strict JSON.

    Sorted keys, fixed indentation, no NaN: the same content always gives the same bytes, so the
    bytes' hash identifies the content (board entries are named by it).
    """
    return (json.dumps(content, sort_keys=True, indent=2, ensure_ascii=False, allow_nan=False) + "\n").encode("utf-8")


def compact_bytes(content: Any, *, default: Optional[Callable[[Any], Any]] = None) -> bytes:
    """The one-line canonical form, for JSON Lines (the audit log) and for hashing a value (run ids)."""
    return json.dumps(
        content, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False, default=default
    ).encode("utf-8")


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path) -> str:
    return file_digest(path, "sha256")


def file_digest(path: Path, algorithm: str = "sha256") -> str:
    """Hex digest of a file's bytes, read in blocks; `md5` is what MedMNIST publishes for its files."""
    digest = hashlib.new(algorithm)
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def atomic_write(path: Path, data: bytes | str, *, durable: bool = True) -> None:
    """Write to a temporary file beside `path`, flush it to disk, rename it into place.

    Readers see the old file or the new one, never half of one. `durable=False` skips the flush to
    disk, for what can be rebuilt (the site): a build then no longer waits on the disk.
    """
    if isinstance(data, str):
        data = data.encode("utf-8")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        with open(temporary, "wb") as handle:
            handle.write(data)
            if durable:
                handle.flush()
                os.fsync(handle.fileno())
        os.replace(temporary, path)
    finally:
        if temporary.exists():
            temporary.unlink()


def fsync_dir(path: Path) -> None:
    """Make a rename inside `path` durable."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def validation_problems(error: Any, limit: int = 5, prefix: str = "") -> str:
    """A pydantic ValidationError as one line: `<prefix>field.path: message; ...`."""
    return "; ".join(
        f"{prefix}{'.'.join(str(p) for p in issue['loc']) or '<root>'}: {issue['msg']}" for issue in error.errors()[:limit]
    )

