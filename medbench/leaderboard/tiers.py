"""Tiers and baseline tests: which entries paired tests on their per-sample predictions can tell apart.

Tiers. Current entries are taken in rank order. The best entry not yet placed opens a tier and is
compared with every entry below it (the paired test of `medbench.comparison.compare_paired` on
the primary metric, from the board's stored predictions); those p-values are Holm-corrected
together, and the tier takes the entries that follow, in rank order, up to the first one the
corrected test separates from the tier's leader (at `ALPHA`). The next tier opens at that entry.
Tiers are therefore runs of the ranking, and one tier holds entries that its leader cannot be said
to beat.

Baseline. Every current entry is compared with the board's named baseline: the difference with its
paired-bootstrap interval, and a p-value Holm-corrected across all entries.

Both need the statistics (numpy, pandas, scipy) but not torch. Results are cached beside the board
(`.cache/tiers.json`, keyed by the board file and the entries), so `leaderboard show` reads the
last build's tiers without recomputing them.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any, Optional

from medbench.errors import MedbenchError
from medbench.io import atomic_write, compact_bytes, sha256_hex
from medbench.leaderboard.schema import BoardSpec, Entry
from medbench.leaderboard.store import Board

ALPHA = 0.05
CACHE_FILE = ".cache/tiers.json"


@dataclass(frozen=True)
class BaselineTest:
    difference: float  # entry − baseline on the primary metric
    low: Optional[float]
    high: Optional[float]
    p_holm: float
    method: str


@dataclass(frozen=True)
class Tiers:
    tiers: dict[str, int] = field(default_factory=dict)
    versus_baseline: dict[str, BaselineTest] = field(default_factory=dict)
    note: str = "not computed (run `medbench leaderboard build`)"


def board_tiers(board: Board, spec: BoardSpec, entries: dict[str, Entry]) -> Tiers:
    """Compute (or reuse from the cache) the tiers and baseline tests of the board's current entries."""
    current = _ranked_current(spec, entries)
    key = _cache_key(board, current)
    cached = _read_cache(board, key)
    if cached is not None:
        return cached
    try:
        result = compute_tiers(board, spec, entries, current)
    except (ImportError, MedbenchError, ValueError, KeyError, OSError) as error:
        return Tiers(note=f"unavailable: {error}")
    atomic_write(board.path / CACHE_FILE, compact_bytes({"key": key, "tiers": _to_json(result)}))
    return result


def cached_tiers(board: Board, spec: BoardSpec, entries: dict[str, Entry]) -> Tiers:
    """The last build's tiers when the board has not changed since, else a note saying so (no statistics run)."""
    if not (board.path / CACHE_FILE).is_file():
        return Tiers()
    cached = _read_cache(board, _cache_key(board, _ranked_current(spec, entries)))
    return cached if cached is not None else Tiers(note="out of date: the board changed since the last `medbench leaderboard build`")


def compute_tiers(board: Board, spec: BoardSpec, entries: dict[str, Entry], current: list[str]) -> Tiers:
    import numpy as np

    from medbench.comparison import compare_paired
    from medbench.stats.significance import holm
    from medbench.tasks.registry import get_kind
    from medbench.tasks.outputs import TaskOutputs

    # The board's own protocol says how intervals are drawn and what is resampled together.
    method = get_kind(spec.kind).paired_test(spec.primary) or "bootstrap"
    confidence, cluster = spec.protocol.confidence, spec.protocol.cluster_column
    frames: dict[tuple[str, Optional[str]], Any] = {}

    def outputs(entry_id: str) -> TaskOutputs:
        import pandas as pd

        provenance = entries[entry_id].provenance
        key = (provenance.predictions_sha256, provenance.qrels_sha256)
        if key not in frames:
            qrels = pd.read_parquet(board.predictions_path(key[1])) if key[1] else None
            frames[key] = TaskOutputs(pd.read_parquet(board.predictions_path(key[0])), qrels)
        return frames[key]

    def compare(a: str, b: str):
        return compare_paired(
            outputs(a), outputs(b), spec.kind, spec.primary,
            method=method if cluster is None else "bootstrap", confidence=confidence, cluster_column=cluster,
        )

    tiers: dict[str, int] = {}
    start, tier = 0, 1
    while start < len(current):
        leader, rest = current[start], current[start + 1 :]
        adjusted = holm(np.array([compare(leader, other).p_value for other in rest])) if rest else np.array([])
        separated = next((i for i, p in enumerate(adjusted) if p < ALPHA), len(rest))
        for entry_id in current[start : start + 1 + separated]:
            tiers[entry_id] = tier
        start, tier = start + 1 + separated, tier + 1

    versus: dict[str, BaselineTest] = {}
    others = [entry_id for entry_id in current if entry_id != spec.baseline]
    if spec.baseline in current and others:
        results = [compare(entry_id, spec.baseline) for entry_id in others]
        adjusted = holm(np.array([result.p_value for result in results]))
        for entry_id, result, p in zip(others, results, adjusted):
            ci = result.ci
            versus[entry_id] = BaselineTest(
                result.difference, ci.low if ci else None, ci.high if ci else None, float(p), result.method
            )
    note = (
        f"paired {method} tests of {spec.primary} on the stored per-sample predictions, Holm-corrected, "
        f"alpha {ALPHA}; a tier ends at the first entry its leader beats"
    )
    return Tiers(tiers, versus, note)


def _ranked_current(spec: BoardSpec, entries: dict[str, Entry]) -> list[str]:
    from medbench.leaderboard.ranking import rank_entries

    return [row.entry_id for row in rank_entries(spec, entries, []).current]


def _cache_key(board: Board, current: list[str]) -> str:
    return sha256_hex(compact_bytes([sha256_hex(board.spec_path.read_bytes()), current, ALPHA]))


def _read_cache(board: Board, key: str) -> Optional[Tiers]:
    path = board.path / CACHE_FILE
    if not path.is_file():
        return None
    stored = json.loads(path.read_bytes())
    return _from_json(stored["tiers"]) if stored.get("key") == key else None


def _to_json(result: Tiers) -> dict[str, Any]:
    return {
        "tiers": result.tiers,
        "versus_baseline": {k: asdict(v) for k, v in result.versus_baseline.items()},
        "note": result.note,
    }


def _from_json(data: dict[str, Any]) -> Tiers:
    return Tiers(
        tiers=data["tiers"],
        versus_baseline={k: BaselineTest(**v) for k, v in data["versus_baseline"].items()},
        note=data["note"],
    )
