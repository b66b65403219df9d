"""`medbench compare A B [--metric M] [--method ...]`: paired comparison of two runs.

A and B are run record folders or board entry ids (a unique prefix, as the board page shows
them; the entry's stored predictions are read from its board under `--root`). Both must come
from the same task (name and version) and hold predictions for the same test samples; the difference A - B gets an interval
and a two-sided p-value from one procedure (DeLong for a binary AUROC, the paired bootstrap
otherwise; see :mod:`medbench.evaluation.comparison`).
"""

from __future__ import annotations

import argparse
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

HELP = "Compare two run records on the same test samples: metric difference, paired CI, p-value."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from medbench.leaderboard.folder.location import default_root

    parser.add_argument("run_a", help="A: a run record folder, or a board entry id (a unique prefix of it)")
    parser.add_argument("run_b", help="B: a run record folder, or a board entry id")
    parser.add_argument("--board", help="the board whose entries the ids name (default: whichever board holds them)")
    parser.add_argument("--root", type=Path, default=default_root(), help="leaderboards folder of the entries (default: %(default)s)")
    parser.add_argument("--metric", help="metric to compare (default: the task's primary metric)")
    parser.add_argument(
        "--method",
        choices=("bootstrap", "permutation", "mcnemar", "delong"),
        default=None,
        help="where the p-value comes from (default, as on the leaderboard: delong for binary auroc without clusters, "
        "else bootstrap); mcnemar for accuracy",
    )
    parser.add_argument("--json", action="store_true", help="print the result as JSON")


def execute(args: argparse.Namespace) -> int:
    import dataclasses

    from medbench.errors import MedbenchError, RecordError
    from medbench.evaluation.comparison import compare_paired, default_method
    from medbench.wording import counted

    side_a, side_b = (_side(ref, args.root, args.board) for ref in (args.run_a, args.run_b))
    task_a, task_b = side_a.protocol, side_b.protocol
    if (task_a.name, task_a.version) != (task_b.name, task_b.version):
        raise RecordError(
            f"{side_a.where} is task {task_a.name} v{task_a.version}, {side_b.where} is {task_b.name} v{task_b.version}: "
            "only runs of the same task version can be compared"
        )
    protocol = side_a.protocol
    metric = args.metric or protocol.primary
    outputs_a, outputs_b = side_a.outputs, side_b.outputs

    def paired(a, b):
        return compare_paired(
            a,
            b,
            protocol.kind,
            metric,
            method=args.method or default_method(protocol.kind, metric, protocol.cluster_column),
            confidence=protocol.confidence,
            cluster_column=protocol.cluster_column,
        )

    result = paired(outputs_a, outputs_b)

    def within(subset_a, subset_b):
        """The comparison within one subgroup, or why it cannot be made there (one class only, too few samples)."""
        try:
            return dataclasses.asdict(paired(subset_a, subset_b))
        except (MedbenchError, ValueError) as error:
            return {"error": str(error)}

    # The same comparison within each level of the task's subgroup columns (sex, age band, site, language).
    subgroups = {
        column: {level: within(subset_a, subset_b) for (level, subset_a), (_, subset_b) in _levels(outputs_a, outputs_b, column)}
        for column in protocol.subgroup_columns
    }
    if args.json:
        print(json.dumps({**dataclasses.asdict(result), "subgroups": subgroups}, indent=2))
        return 0
    ci = result.ci
    interval = f" [{ci.low:+.4f}, {ci.high:+.4f}] ({ci.level:.0%} CI)" if ci else " (no interval)"
    print(f"task {task_a.name} v{task_a.version}, {counted(result.n_units, result.resampling_unit)}")
    print(f"A {side_a.label} {metric}: {result.value_a:.4f}")
    print(f"B {side_b.label} {metric}: {result.value_b:.4f}")
    print(f"A - B: {result.difference:+.4f}{interval}")
    print(f"p-value ({result.method}): {result.p_value:.4g}")
    print(f"procedure: {result.procedure}")
    for column, levels in subgroups.items():
        for level, r in levels.items():
            if "error" in r:
                print(f"  {column}={level}: not compared ({r['error']})")
                continue
            ci = f" [{r['ci']['low']:+.4f}, {r['ci']['high']:+.4f}]" if r["ci"] else ""
            print(f"  {column}={level}: A {r['value_a']:.4f}  B {r['value_b']:.4f}  A - B {r['difference']:+.4f}{ci}  p {r['p_value']:.4g}")
    return 0


@dataclass(frozen=True)
class Side:
    """One side of the comparison: what it is called, where it was read, its protocol and outputs."""

    label: str
    where: str
    protocol: Any
    outputs: Any


# What an entry id prefix looks like (the board shows 12 hex digits; 4 is the shortest accepted).
ENTRY_PREFIX = re.compile(r"^[0-9a-f]{4,64}$")


def _side(ref: str, root: Path, board_name: Optional[str]) -> Side:
    """A record folder when `ref` is one, else the board entry whose id starts with `ref`."""
    from medbench.errors import RecordError
    from medbench.evaluation.scoring import record_outputs
    from medbench.records.record import read_record

    if Path(ref).is_dir() or not ENTRY_PREFIX.match(ref):
        if not Path(ref).is_dir():
            raise RecordError(f"{ref}: neither a run record folder nor a board entry id (hex digits, as the board shows them)")
        record = read_record(Path(ref))
        return Side(record.run_id, str(record.path), record.protocol, record_outputs(record))
    return _entry_side(ref, root, board_name)


def _entry_side(prefix: str, root: Path, board_name: Optional[str]) -> Side:
    import pandas as pd

    from medbench.errors import LeaderboardError
    from medbench.leaderboard.folder.store import Board, board_names
    from medbench.tasks.outputs import TaskOutputs

    names = [board_name] if board_name else board_names(root)
    found = [(board, entry_id) for board in (Board(root, name) for name in names) if (entry_id := board.resolve(prefix))]
    if not found:
        where = f"board {board_name!r}" if board_name else f"any board under {root}"
        raise LeaderboardError(f"{prefix}: no run record folder of that name and no entry of {where} (--root, --board)")
    if len(found) > 1:
        boards = ", ".join(board.name for board, _ in found)
        raise LeaderboardError(f"entry {prefix!r} is on several boards ({boards}): name one with --board")
    board, entry_id = found[0]
    entry = board.read_entry(entry_id)
    provenance = entry.provenance
    qrels = pd.read_parquet(board.predictions_path(provenance.qrels_sha256)) if provenance.qrels_sha256 else None
    outputs = TaskOutputs(pd.read_parquet(board.predictions_path(provenance.predictions_sha256)), qrels)
    return Side(f"entry {entry_id[:12]} (run {provenance.run_id})", f"entry {entry_id[:12]} of board {board.name}", entry.protocol, outputs)


def _levels(outputs_a, outputs_b, column: str):
    """Pairs of (level, outputs) of A and B for each level of `column`; both runs hold the same samples."""
    from medbench.errors import DataError
    from medbench.evaluation.scoring import subgroup_outputs

    levels_a, levels_b = list(subgroup_outputs(outputs_a, column)), list(subgroup_outputs(outputs_b, column))
    if [level for level, _ in levels_a] != [level for level, _ in levels_b]:
        raise DataError(f"the two runs disagree on the levels of subgroup column {column!r}")
    return zip(levels_a, levels_b)
