"""The tiers of a folder board: paired tests (`board.tiers`) on its stored predictions, cached beside it.

Results are cached in `.cache/tiers.json`, keyed by the board file, the ranked entries (current,
not rejected, in rank order: `ranking.ranked_ids`) and the baseline, so `leaderboard show` reads
the last build's tiers without recomputing them.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict
from typing import Any, Optional

from medbench.errors import MedbenchError
from medbench.io import atomic_write, compact_bytes, sha256_hex
from medbench.leaderboard.board.ranking import ranked_ids
from medbench.leaderboard.board.schema import BoardSpec, Entry
from medbench.leaderboard.board.tiers import PAIR_LIMIT, BaselineTest, PairTest, Tiers, compute_tiers
from medbench.leaderboard.folder.audit import read_events
from medbench.leaderboard.folder.store import Board

CACHE_FILE = ".cache/tiers.json"
CACHE_VERSION = 3  # 3: interval and p from one procedure, alpha = 1 - level


def board_tiers(board: Board, spec: BoardSpec, entries: dict[str, Entry]) -> Tiers:
    """Compute (or reuse from the cache) the tiers, baseline tests and pairs of the board's ranked entries."""
    current = ranked_ids(spec, entries, read_events(board.audit_path))
    key = _cache_key(board, current)
    cached = _read_cache(board, key)
    if cached is not None:
        return cached
    try:
        result = compute_tiers(spec, entries, current, _stored_outputs(board, entries))
    except (ImportError, MedbenchError, ValueError, KeyError, OSError) as error:
        return Tiers(note=f"unavailable: {error}")
    atomic_write(board.path / CACHE_FILE, compact_bytes({"key": key, "tiers": _to_json(result)}))
    return result


def cached_tiers(board: Board, spec: BoardSpec, entries: dict[str, Entry]) -> Tiers:
    """The last build's tiers when the board has not changed since, else a note saying so (no statistics run)."""
    if not (board.path / CACHE_FILE).is_file():
        return Tiers()
    cached = _read_cache(board, _cache_key(board, ranked_ids(spec, entries, read_events(board.audit_path))))
    return cached if cached is not None else Tiers(note="out of date: the board changed since the last `medbench leaderboard build`")


def _stored_outputs(board: Board, entries: dict[str, Entry]) -> Callable[[str], Any]:
    """The per-sample outputs of a folder board's entries, read once per predictions file."""
    frames: dict[tuple[str, Optional[str]], Any] = {}

    def outputs(entry_id: str) -> Any:
        import pandas as pd

        from medbench.tasks.outputs import TaskOutputs

        provenance = entries[entry_id].provenance
        key = (provenance.predictions_sha256, provenance.qrels_sha256)
        if key not in frames:
            qrels = pd.read_parquet(board.predictions_path(key[1])) if key[1] else None
            frames[key] = TaskOutputs(pd.read_parquet(board.predictions_path(key[0])), qrels)
        return frames[key]

    return outputs


def _cache_key(board: Board, current: list[str]) -> str:
    return sha256_hex(compact_bytes([sha256_hex(board.spec_path.read_bytes()), current, PAIR_LIMIT, CACHE_VERSION]))


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
        "pairs": {k: {metric: asdict(test) for metric, test in tests.items()} for k, tests in result.pairs.items()},
    }


def _from_json(data: dict[str, Any]) -> Tiers:
    return Tiers(
        tiers=data["tiers"],
        versus_baseline={k: BaselineTest(**v) for k, v in data["versus_baseline"].items()},
        note=data["note"],
        pairs={k: {metric: PairTest(**test) for metric, test in tests.items()} for k, tests in data.get("pairs", {}).items()},
    )
