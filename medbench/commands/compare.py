"""`medbench compare RUN_A RUN_B [--metric M] [--method ...]`: paired comparison of two records.

Both records must come from the same task (name and version) and hold predictions for the same
test samples; the difference A - B gets a paired-bootstrap interval and a two-sided p-value
(see :mod:`medbench.stats.paired`).
"""

from __future__ import annotations

import argparse
import json

HELP = "Compare two run records on the same test samples: metric difference, paired CI, p-value."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("run_a", help="record folder of entry A")
    parser.add_argument("run_b", help="record folder of entry B")
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
    from medbench.records.record import read_record
    from medbench.evaluation.comparison import compare_paired, default_method
    from medbench.evaluation.scoring import record_outputs
    from medbench.wording import counted

    record_a, record_b = read_record(args.run_a), read_record(args.run_b)
    task_a, task_b = record_a.protocol, record_b.protocol
    if (task_a.name, task_a.version) != (task_b.name, task_b.version):
        raise RecordError(
            f"{record_a.path} is task {task_a.name} v{task_a.version}, {record_b.path} is {task_b.name} v{task_b.version}: "
            "only runs of the same task version can be compared"
        )
    protocol = record_a.protocol
    metric = args.metric or protocol.primary
    outputs_a, outputs_b = record_outputs(record_a), record_outputs(record_b)

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
    interval = f" [{ci.low:+.4f}, {ci.high:+.4f}] ({ci.level:.0%} paired {ci.method} CI)" if ci else " (no interval)"
    print(f"task {task_a.name} v{task_a.version}, {counted(result.n_units, result.resampling_unit)}")
    print(f"A {record_a.run_id} {metric}: {result.value_a:.4f}")
    print(f"B {record_b.run_id} {metric}: {result.value_b:.4f}")
    print(f"A - B: {result.difference:+.4f}{interval}")
    print(f"p-value ({result.method}): {result.p_value:.4g}")
    for column, levels in subgroups.items():
        for level, r in levels.items():
            if "error" in r:
                print(f"  {column}={level}: not compared ({r['error']})")
                continue
            ci = f" [{r['ci']['low']:+.4f}, {r['ci']['high']:+.4f}]" if r["ci"] else ""
            print(f"  {column}={level}: A {r['value_a']:.4f}  B {r['value_b']:.4f}  A - B {r['difference']:+.4f}{ci}  p {r['p_value']:.4g}")
    return 0


def _levels(outputs_a, outputs_b, column: str):
    """Pairs of (level, outputs) of A and B for each level of `column`; both runs hold the same samples."""
    from medbench.errors import DataError
    from medbench.evaluation.scoring import subgroup_outputs

    levels_a, levels_b = list(subgroup_outputs(outputs_a, column)), list(subgroup_outputs(outputs_b, column))
    if [level for level, _ in levels_a] != [level for level, _ in levels_b]:
        raise DataError(f"the two runs disagree on the levels of subgroup column {column!r}")
    return zip(levels_a, levels_b)
