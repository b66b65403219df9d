"""`medbench score RUN_DIR [metrics=a,b] [method=bca ...]`: re-score a record from its stored predictions.

The model is not rerun: the record's predictions (and qrels) are scored under its task's
protocol, giving the numbers the run wrote. Overrides change what is computed, for a look
that does not touch the record: ``metrics=auroc,sensitivity_at_specificity@0.9``,
``method=bca``, ``level=0.9``, ``n_resamples=2000``, ``seed=1``.
"""

from __future__ import annotations

import argparse

HELP = "Re-score a run record from its stored predictions (no model rerun); compare with its metrics.json."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("run_dir", help="a run record folder, e.g. runs/breast_cancer/<run_id>")
    parser.add_argument("overrides", nargs="*", help="metrics=a,b  method=percentile|bca  level=0.95  n_resamples=1000  seed=0")
    parser.add_argument("--json", action="store_true", help="print the metrics as metrics.json would hold them")


def execute(args: argparse.Namespace) -> int:
    from medbench.engine.console import metric_lines
    from medbench.records.record import read_record
    from medbench.evaluation.scoring import record_outputs, score_outputs

    record = read_record(args.run_dir)
    protocol = apply_overrides(record.protocol, args.overrides)
    metrics = score_outputs(record_outputs(record), protocol)
    if args.json:
        print(metrics.model_dump_json(indent=2))
        return 0
    print("\n".join(metric_lines(record.protocol.name, metrics)))
    stored = record.metrics()
    if not args.overrides:
        verdict = "equal to" if stored == metrics else "DIFFERENT from"
        print(f"re-scored values are {verdict} the record's metrics.json")
    return 0


def apply_overrides(protocol, overrides: list[str]):
    """`protocol` with `key=value` overrides of its metrics and confidence settings."""
    from medbench.errors import ConfigError
    from medbench.records.protocol import Confidence

    confidence, types = protocol.confidence.model_dump(), Confidence.setting_types()
    for override in overrides:
        key, separator, value = override.partition("=")
        if not separator or not value:
            raise ConfigError(f"override {override!r}: expected key=value, e.g. metrics=auroc,brier")
        if key == "metrics":
            names = tuple(name for name in value.split(",") if name)
            primary = protocol.primary if protocol.primary in names else names[0]
            protocol = protocol.replaced(metrics=names, primary=primary)
        elif key in types:
            try:
                confidence[key] = types[key](value)
            except ValueError:
                raise ConfigError(f"override {override!r}: {key} must be a {types[key].__name__}") from None
        else:
            raise ConfigError(f"override {override!r}: unknown key {key!r}; known: metrics, {', '.join(types)}")
    return protocol.replaced(confidence=confidence)
