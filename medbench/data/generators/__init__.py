"""Small data sets with a learnable signal, made on demand so that CI and fresh clones need no download.

Every generator is deterministic in its parameters. :func:`generated_file` writes its output once
into the cache folder under a name derived from those parameters, atomically and under a lock, so
parallel runs of a sweep share one copy and a crash never leaves a half-written file behind.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from medbench.records.fingerprint import content_hash


def generated_file(cache_dir: str | Path, name: str, suffix: str, write: Callable[..., None], params: Mapping[str, Any]) -> Path:
    """The path of `write(path, **params)`'s output in `cache_dir/generated/`, writing it if absent."""
    from filelock import FileLock

    folder = Path(cache_dir) / "generated"
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{name}-{content_hash(dict(params))[:12]}{suffix}"
    with FileLock(str(folder / f".{target.name}.lock")):
        if not target.exists():
            partial = folder / f".{target.name}.partial{suffix}"
            _remove(partial)  # left by a crashed writer
            write(partial, **params)
            os.replace(partial, target)
    return target


def _remove(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path)
    elif path.exists():
        path.unlink()
