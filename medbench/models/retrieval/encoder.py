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
        """Write the fitted state (if it was fitted here) next to `path` and return the file."""

    def parameter_count(self) -> Optional[int]:
        """Number of learned parameters, when known."""
