"""What a dense retriever needs from a text encoder, whatever its origin (LSA, ONNX, sentence-transformers)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional, Protocol, runtime_checkable

import numpy as np


@runtime_checkable
class TextEncoder(Protocol):
    def fit(self, documents: list[str]) -> None:
        """Learn from the corpus when the encoder is fitted on it (LSA); pretrained encoders do nothing."""

    def encode(self, texts: list[str]) -> np.ndarray:
        """One float vector per text, shape (len(texts), dim)."""

    def identity(self) -> str:
        """A string that changes whenever the embeddings could change: weights, settings, fitted corpus.

        Valid after :meth:`fit`; it keys the document-embedding cache.
        """

    def save(self, path: Path) -> Optional[Path]:
        """Write the fitted state next to `path` and return the file; None when there is none to
        keep, or when it would carry the corpus's words (a vocabulary) out with the record."""

    def parameter_count(self) -> Optional[int]:
        """Number of learned parameters, when known."""


def files_identity(root: Path, paths: list[Path]) -> str:
    """Content hash of the files (path under `root` and SHA-256 of each) that exist: weights read from disk.

    Paths are taken relative to `root`, so moving a model folder keeps its identity.
    """
    from medbench.records.fingerprint import content_hash
    from medbench.io import sha256_file

    return content_hash({str(path.relative_to(root)): sha256_file(path) for path in sorted(paths) if path.is_file()})
