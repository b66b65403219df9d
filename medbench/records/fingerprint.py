"""Content hashes of data: the dataset fingerprint that ties a number to the exact samples.

Two runs are comparable only when they saw the same samples in the same splits; the fingerprint
hashes sample ids, inputs and targets of every split, so any change of content, split or order of
ids gives another fingerprint.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np


def update_with(digest: "hashlib._Hash", value: Any) -> None:
    """Feed `value` into `digest` unambiguously (type, shape and content)."""
    if value is None:
        digest.update(b"<none>")
    elif isinstance(value, np.ndarray):
        if value.dtype.kind in "OUS":
            update_with(digest, [str(item) for item in value.ravel().tolist()])
            digest.update(repr(value.shape).encode())
        else:
            array = np.ascontiguousarray(value)
            digest.update(f"{array.dtype.str}{array.shape}".encode())
            digest.update(array.tobytes())
    elif isinstance(value, (str, bytes)):
        data = value.encode("utf-8") if isinstance(value, str) else value
        digest.update(f"<{type(value).__name__}:{len(data)}>".encode())
        digest.update(data)
    elif isinstance(value, Mapping):
        digest.update(f"<map:{len(value)}>".encode())
        for key in sorted(value, key=str):
            update_with(digest, str(key))
            update_with(digest, value[key])
    elif isinstance(value, Iterable):
        items = list(value)
        digest.update(f"<seq:{len(items)}>".encode())
        for item in items:
            update_with(digest, item)
    else:
        update_with(digest, repr(value))


def content_hash(value: Any) -> str:
    digest = hashlib.sha256()
    update_with(digest, value)
    return digest.hexdigest()
