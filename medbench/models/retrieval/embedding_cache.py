"""Document embeddings on disk, keyed by corpus fingerprint and encoder identity.

Encoding a corpus with a neural encoder is the slow part of dense retrieval; the embeddings only
change when the corpus or the encoder does, so both are in the key and any other run (another
seed, another k, another metric) reuses them. Files are written atomically; an unreadable one is
recomputed.
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Optional

import numpy as np

from medbench.records.fingerprint import content_hash

log = logging.getLogger(__name__)


class EmbeddingCache:
    def __init__(self, directory: Optional[str | Path]) -> None:
        self.directory = Path(directory) if directory else None

    def path_for(self, corpus_fingerprint: str, encoder_identity: str) -> Optional[Path]:
        if self.directory is None:
            return None
        key = content_hash({"corpus": corpus_fingerprint, "encoder": encoder_identity})[:32]
        return self.directory / f"{key}.npy"

    def load_or_compute(
        self, corpus_fingerprint: str, encoder_identity: str, n_documents: int, compute: Callable[[], np.ndarray]
    ) -> np.ndarray:
        """The cached embeddings of the corpus, or `compute()`'s, stored for next time."""
        path = self.path_for(corpus_fingerprint, encoder_identity)
        if path is not None and path.is_file():
            try:
                cached = np.load(path, allow_pickle=False)
                if cached.ndim == 2 and cached.shape[0] == n_documents:
                    log.info("document embeddings read from the cache %s", path)
                    return cached
                log.warning("the cached embeddings %s have shape %s; recomputing", path, cached.shape)
            except (OSError, ValueError) as error:
                log.warning("the cached embeddings %s are unreadable (%s); recomputing", path, error)
        embeddings = np.asarray(compute(), dtype=np.float32)
        if path is not None:
            _save_atomically(path, embeddings)
        return embeddings


def _save_atomically(path: Path, array: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}-", suffix=".npy")
    try:
        with os.fdopen(handle, "wb") as stream:
            np.save(stream, array, allow_pickle=False)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
