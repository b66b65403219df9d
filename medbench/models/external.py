"""What every model that arrives as a file shares: locating it, checking its hash, keeping a copy.

An innovation from outside (an ONNX network, a partner's predictions) is evaluated without its
training code. The run record keeps the exact file it evaluated (hard-linked when possible) and
its SHA-256 in the manifest; `sha256` in the config pins the file a protocol expects.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Optional

from medbench.errors import DataError
from medbench.io import sha256_file


def existing_file(path: str | Path, key: str, sha256: Optional[str] = None) -> Path:
    """The file at `path` (config key `key`), refused when absent or when its SHA-256 is not `sha256`."""
    file = Path(path).expanduser()
    if not file.is_file():
        raise DataError(f"{key}: no such file {file}")
    if sha256 is not None:
        actual = sha256_file(file)
        if actual != sha256.lower():
            raise DataError(f"{key}: {file} has SHA-256 {actual}, but the config pins {sha256}; the file has changed")
    return file


def keep_copy(source: Path, path: Path, suffix: Optional[str] = None) -> Path:
    """Place `source` at `path` with `suffix` (default the source's), as a hard link where the file system allows."""
    target = path.with_suffix(suffix or source.suffix)
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)
    return target
