"""What `medbench reproduce` prints of a reproduction."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

from medbench.records.record import (
    REPRODUCTION_FILE,
)
from medbench.reproduce.outcome import Reproduction


def print_reproduction(reproduction: Reproduction) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(width=140)
    metrics = Table(title=f"reproduction of {reproduction.original_run_id} ({reproduction.target_kind})")
    for column in ("metric", "original", "reproduced", "|difference|", f"within {reproduction.tolerance:g}"):
        metrics.add_column(column)
    for c in reproduction.metrics:
        metrics.add_row(
            c.name,
            _fmt(c.original),
            _fmt(c.reproduced),
            "-" if c.difference is None else f"{c.difference:.3g}",
            "yes" if c.within_tolerance else "[red]NO[/red]",
        )
    console.print(metrics)
    environment = Table(title="environment: original vs here (differences only)")
    for column in ("field", "original", "here"):
        environment.add_column(column)
    for d in reproduction.environment_differences:
        environment.add_row(d.field, d.original or "-", d.reproduction or "-")
    if reproduction.environment_differences:
        console.print(environment)
    else:
        console.print("environment: identical (packages, interpreter, hardware, git commit)")
    identical = {True: "identical", False: "DIFFERENT", None: "not compared"}[reproduction.predictions_identical]
    weights = {True: "identical", False: "DIFFERENT", None: "not compared"}[reproduction.weights_identical]
    console.print(f"predictions: {identical}; weights: {weights}; run id {'unchanged' if reproduction.same_run_id else 'CHANGED'}")
    console.print(f"record: {Path(reproduction.folder) / REPRODUCTION_FILE}")
    if reproduction.leaderboard:
        link = reproduction.leaderboard
        console.print(f"leaderboard: {link.board} entry {link.entry[:12]}: {link.event} (audit event {link.audit_seq})")
    console.print(f"[bold]{reproduction.status.upper()}[/bold] ({reproduction.tolerance_reason}; {reproduction.duration_s:.1f} s)")



def _fmt(value: Optional[float]) -> str:
    return "-" if value is None else f"{value:.6f}"

