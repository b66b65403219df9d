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
        default="bootstrap",
        help="where the p-value comes from (default: bootstrap); mcnemar for accuracy, delong for binary auroc",
    )
    parser.add_argument("--json", action="store_true", help="print the result as JSON")


def execute(args: argparse.Namespace) -> int:
    import dataclasses

    from medbench.errors import RecordError
    from medbench.record import read_record
    from medbench.scoring import record_outputs
    from medbench.comparison import compare_paired

    record_a, record_b = read_record(args.run_a), read_record(args.run_b)
    task_a, task_b = record_a.protocol, record_b.protocol
    if (task_a.name, task_a.version) != (task_b.name, task_b.version):
        raise RecordError(
            f"{record_a.path} is task {task_a.name} v{task_a.version}, {record_b.path} is {task_b.name} v{task_b.version}: "
            "only runs of the same task version can be compared"
        )
    protocol = record_a.protocol
    metric = args.metric or protocol.primary
    result = compare_paired(
        record_outputs(record_a),
        record_outputs(record_b),
        protocol.kind,
        metric,
        method=args.method,
        confidence=protocol.confidence,
        cluster_column=protocol.cluster_column,
    )
    if args.json:
        print(json.dumps(dataclasses.asdict(result), indent=2))
        return 0
    ci = result.ci
    interval = f" [{ci.low:+.4f}, {ci.high:+.4f}] ({ci.level:.0%} paired {ci.method} CI)" if ci else " (no interval)"
    print(f"task {task_a.name} v{task_a.version}, {result.n_units} {result.resampling_unit}s")
    print(f"A {record_a.run_id} {metric}: {result.value_a:.4f}")
    print(f"B {record_b.run_id} {metric}: {result.value_b:.4f}")
    print(f"A - B: {result.difference:+.4f}{interval}")
    print(f"p-value ({result.method}): {result.p_value:.4g}")
    return 0
