"""Latent semantic analysis: a dense encoder fitted on the corpus itself, with nothing to download.

TF-IDF vectors of the documents are projected on their top singular directions (truncated SVD),
so documents and queries that use related words land near each other even without a shared
term. It is the dense baseline a fresh clone can run anywhere.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import numpy as np

from medbench.records.fingerprint import content_hash
from medbench.errors import DataError


class LsaEncoder:
    def __init__(self, n_components: int = 256, sublinear_tf: bool = True, min_df: int = 1, seed: int = 0) -> None:
        self.settings = {"n_components": n_components, "sublinear_tf": sublinear_tf, "min_df": min_df, "seed": seed}
        self._vectorizer = None
        self._svd = None
        self._fitted_on: Optional[str] = None

    def fit(self, documents: list[str]) -> None:
        from sklearn.decomposition import TruncatedSVD
        from sklearn.feature_extraction.text import TfidfVectorizer

        vectorizer = TfidfVectorizer(sublinear_tf=self.settings["sublinear_tf"], min_df=self.settings["min_df"])
        weights = vectorizer.fit_transform(documents)
        # The SVD cannot have more components than the smaller side of the matrix, minus one.
        components = min(self.settings["n_components"], weights.shape[0] - 1, weights.shape[1] - 1)
        if components < 1:
            raise DataError(f"LsaEncoder: a corpus of {weights.shape[0]} documents and {weights.shape[1]} terms is too small for LSA")
        self._svd = TruncatedSVD(n_components=components, random_state=self.settings["seed"]).fit(weights)
        self._vectorizer = vectorizer
        self._fitted_on = content_hash(documents)

    def encode(self, texts: list[str]) -> np.ndarray:
        if self._vectorizer is None or self._svd is None:
            raise DataError("LsaEncoder: fit it on the corpus before encoding")
        return self._svd.transform(self._vectorizer.transform(texts)).astype(np.float32)

    def identity(self) -> str:
        return f"lsa:{content_hash(self.settings)[:16]}:fitted-on:{self._fitted_on}"

    def save(self, path: Path) -> Optional[Path]:
        # Nothing: the TF-IDF vocabulary is words of the patients' documents, and a record may
        # leave the centre. The encoder is refitted from the corpus and the config in seconds.
        return None

    def parameter_count(self) -> Optional[int]:
        return int(self._svd.components_.size) if self._svd is not None else None
