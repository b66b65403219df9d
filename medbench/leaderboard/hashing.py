"""Canonical bytes and their SHA-256: the identity of entries and of audit-log lines.

An entry's id is the hash of the exact bytes of its file, and those bytes are the canonical JSON of
its content (sorted keys, fixed indentation, no NaN). Any edit of the file, even of whitespace,
therefore gives bytes whose hash no longer matches the file name, and checking an entry costs one
hash of its bytes, with no parsing.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any


def canonical_bytes(content: Any) -> bytes:
    """The one byte form of `content` a file is written in: diffable, deterministic, strict JSON."""
    return (json.dumps(content, sort_keys=True, indent=2, ensure_ascii=False, allow_nan=False) + "\n").encode("utf-8")


def compact_bytes(content: Any) -> bytes:
    """The one-line canonical form, for JSON Lines (the audit log)."""
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode(
        "utf-8"
    )


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
