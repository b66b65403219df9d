"""A retriever made of retrievers: BM25 + dense (or any others) fused into one run.

Each component is built from its own `_target_` (`conf/model/hybrid_*.yaml` composes `bm25` and
a dense model), indexes the corpus itself and returns its own top k; the hybrid fuses those runs
by reciprocal rank fusion or by score interpolation (:mod:`medbench.models.retrieval.fusion`)
with weights from the config.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Optional

import pandas as pd

from medbench.tasks.split import Split
from medbench.errors import ConfigError
from medbench.models.base import Estimator
from medbench.models.retrieval.fusion import NORMALISATIONS, interpolated_scores, reciprocal_rank_fusion

FUSIONS = ("rrf", "interpolation")


class HybridRetriever:
    def __init__(
        self,
        retrievers: Mapping[str, Any],
        fusion: str = "rrf",
        weights: Optional[Mapping[str, float]] = None,
        rrf_k: float = 60.0,
        normalisation: str = "minmax",
        top_k: int = 100,
    ) -> None:
        if not retrievers:
            raise ConfigError("model.retrievers: name at least one retriever to fuse")
        for name, retriever in retrievers.items():
            if not isinstance(retriever, Estimator):
                raise ConfigError(f"model.retrievers.{name}: {type(retriever).__name__} is not a retriever (fit / predict_scores / save / parameter_count)")
        if fusion not in FUSIONS:
            raise ConfigError(f"model.fusion: {fusion!r} is not one of {FUSIONS}")
        if normalisation not in NORMALISATIONS:
            raise ConfigError(f"model.normalisation: {normalisation!r} is not one of {NORMALISATIONS}")
        if top_k < 1:
            raise ConfigError(f"model.top_k must be at least 1, got {top_k}")
        self.retrievers = dict(retrievers)
        self.weights = _weights(weights, list(self.retrievers))
        self.fusion = fusion
        self.rrf_k = rrf_k
        self.normalisation = normalisation
        self.top_k = top_k

    def fit(self, train: Split, val: Split) -> None:
        for retriever in self.retrievers.values():
            retriever.fit(train, val)

    def predict_scores(self, split: Split) -> pd.DataFrame:
        runs = {name: retriever.predict_scores(split) for name, retriever in self.retrievers.items()}
        query_ids = [str(query) for query in split.ids]
        if self.fusion == "rrf":
            return reciprocal_rank_fusion(runs, self.weights, self.rrf_k, self.top_k, query_ids)
        return interpolated_scores(runs, self.weights, self.normalisation, self.top_k, query_ids)

    def save(self, path: Path) -> Optional[Path]:
        # Nothing of its own; components rebuild from the corpus and the config (BM25 and LSA
        # keep nothing that could carry the corpus's words out), pretrained weights are named by hash.
        return None

    def parameter_count(self) -> Optional[int]:
        counts = [count for count in (retriever.parameter_count() for retriever in self.retrievers.values()) if count is not None]
        return sum(counts) if counts else None


def _weights(weights: Optional[Mapping[str, float]], names: list[str]) -> dict[str, float]:
    """One weight per retriever (1 each when none are given); names must match the retrievers'."""
    if weights is None:
        return {name: 1.0 for name in names}
    given = {str(name): float(value) for name, value in weights.items()}
    if set(given) != set(names):
        raise ConfigError(f"model.weights: give one weight for each retriever {sorted(names)}, got {sorted(given)}")
    if any(value < 0 for value in given.values()) or not any(value > 0 for value in given.values()):
        raise ConfigError(f"model.weights: weights must be non-negative and not all zero, got {given}")
    return given
