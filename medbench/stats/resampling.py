"""Resampling plans as weight matrices: row b counts how often each unit is drawn in resample b.

A weight matrix lets every metric be evaluated on B resamples at once (a matrix product for a
mean, one re-weighting of presorted tie groups for AUROC) instead of B separate calls.

* iid: units drawn with replacement;
* stratified: within each stratum (e.g. the target), so every resample keeps the class balance
  and metrics such as sensitivity stay defined;
* clustered: whole clusters (a patient, a site) drawn with replacement, each drawn cluster
  bringing all its units: several images of one patient are not independent evidence.
  Stratification then applies to clusters whose units share one stratum; when clusters mix
  strata it is dropped (a cluster cannot be split).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Optional

import numpy as np
import pandas as pd

# Resamples are evaluated in chunks of about this many matrix cells, bounding memory.
CHUNK_CELLS = 2_000_000


def codes_of(labels: np.ndarray) -> np.ndarray:
    """Integer codes 0..G-1 of arbitrary labels (strings, ints), NaN as its own group."""
    return pd.factorize(pd.Series(labels), use_na_sentinel=False)[0].astype(np.int64)


@dataclass(frozen=True)
class Resampler:
    """How resamples of `n_units` units are drawn: which units move together, and within which strata."""

    n_units: int
    clusters: Optional[np.ndarray] = None  # cluster code per unit
    item_strata: Optional[np.ndarray] = None  # stratum code per drawn item (unit, or cluster)

    @classmethod
    def build(cls, n_units: int, clusters: Optional[np.ndarray] = None, strata: Optional[np.ndarray] = None) -> "Resampler":
        cluster_codes = codes_of(clusters) if clusters is not None else None
        strata_codes = codes_of(strata) if strata is not None else None
        return cls(n_units, cluster_codes, _item_strata(cluster_codes, strata_codes))

    @property
    def n_items(self) -> int:
        """How many things are drawn: clusters when clustered, else units."""
        return int(self.clusters.max()) + 1 if self.clusters is not None and self.n_units else self.n_units

    @property
    def unit(self) -> str:
        return "cluster" if self.clusters is not None else "unit"

    @property
    def stratified(self) -> bool:
        return self.item_strata is not None

    def chunk_size(self) -> int:
        return max(1, CHUNK_CELLS // max(self.n_units, 1))

    def draw(self, rng: np.random.Generator, count: int) -> np.ndarray:
        """A (count, n_units) float matrix of draw counts for `count` bootstrap resamples."""
        items = self.n_items
        strata = self.item_strata
        if strata is None:
            drawn = rng.integers(0, items, size=(count, items), dtype=np.int32)
        else:
            # Each stratum fills as many draw slots as it has items; which slots does not matter.
            drawn = np.hstack(
                [members[rng.integers(0, len(members), size=(count, len(members)), dtype=np.int32)] for members in self._strata_members()]
            )
        offsets = (np.arange(count, dtype=np.int64) * items)[:, None]
        counts = np.bincount((drawn + offsets).ravel(), minlength=count * items).reshape(count, items)
        counts = counts.astype(np.float64)
        return np.take(counts, self.clusters, axis=1) if self.clusters is not None else counts

    def _strata_members(self) -> list[np.ndarray]:
        order = np.argsort(self.item_strata, kind="stable")
        bounds = np.flatnonzero(np.diff(self.item_strata[order])) + 1
        return [members.astype(np.int32) for members in np.split(order, bounds)]

    def resamples(self, n_resamples: int, seed: int) -> Iterator[np.ndarray]:
        """The weight matrices of `n_resamples` resamples in chunks; the same seed gives the same ones."""
        rng = np.random.default_rng(seed)
        step = self.chunk_size()
        for start in range(0, n_resamples, step):
            yield self.draw(rng, min(step, n_resamples - start))

    def jackknife(self) -> Iterator[np.ndarray]:
        """Leave-one-item-out weight matrices (the items are clusters when clustered), in chunks."""
        items = self.n_items
        item_of_unit = self.clusters if self.clusters is not None else np.arange(self.n_units)
        step = self.chunk_size()
        for start in range(0, items, step):
            left_out = np.arange(start, min(start + step, items))
            yield (item_of_unit[None, :] != left_out[:, None]).astype(np.float64)

    def jackknife_means(self, values: np.ndarray) -> np.ndarray:
        """Leave-one-item-out means of per-unit `values`, in closed form."""
        item_of_unit = self.clusters if self.clusters is not None else np.arange(self.n_units)
        sums = np.bincount(item_of_unit, weights=values, minlength=self.n_items)
        sizes = np.bincount(item_of_unit, minlength=self.n_items)
        with np.errstate(invalid="ignore", divide="ignore"):
            return (values.sum() - sums) / (self.n_units - sizes)


def _item_strata(clusters: Optional[np.ndarray], strata: Optional[np.ndarray]) -> Optional[np.ndarray]:
    """Stratum per drawn item, or None when not stratified or when clusters mix strata."""
    if strata is None or clusters is None:
        return strata
    frame = pd.DataFrame({"cluster": clusters, "stratum": strata})
    per_cluster = frame.groupby("cluster")["stratum"].agg(["first", "nunique"])
    if (per_cluster["nunique"] > 1).any():
        return None
    return per_cluster["first"].to_numpy()
