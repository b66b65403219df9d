"""`medbench leaderboard show`: a board as a rich table, current entries first, stale ones apart."""

from __future__ import annotations

import sys
from typing import Optional

from rich.console import Console
from rich.table import Table

from medbench.leaderboard.ranking import Ranking, Row
from medbench.record import MetricValue

STATE_STYLES = {"submitted": "yellow", "reproduced": "cyan", "approved": "green", "rejected": "red"}


def print_ranking(ranking: Ranking, console: Optional[Console] = None, limit: int = 50) -> None:
    """Print the top `limit` current entries (0: all), then the stale ones."""
    # Piped output (a file, a test, CI logs) gets room for every column instead of 80 characters.
    console = console or Console(width=None if sys.stdout.isatty() else 220)
    spec = ranking.spec
    console.print(
        f"[bold]{spec.name}[/bold]  task {spec.task} v{spec.task_version} ({spec.kind})  "
        f"data {spec.dataset_fingerprint[:12]}  primary {spec.primary} ({spec.direction})  "
        f"baseline {spec.baseline[:12] if spec.baseline else 'none'}"
    )
    if ranking.tiers_note:
        console.print(f"tiers: {ranking.tiers_note}")
    shown = ranking.current if limit <= 0 else ranking.current[:limit]
    console.print(_table(ranking, shown, title=f"{len(ranking.current)} current entries"))
    if len(shown) < len(ranking.current):
        console.print(f"… {len(ranking.current) - len(shown)} more (--limit 0 shows all)")
    if ranking.stale:
        stale = ranking.stale if limit <= 0 else ranking.stale[:limit]
        console.print(_table(ranking, stale, title=f"{len(ranking.stale)} stale entries (older task versions, not ranked)"))


def _table(ranking: Ranking, rows: list[Row], title: str) -> Table:
    spec = ranking.spec
    others = [name for name in spec.metrics if name != spec.primary]
    table = Table(title=title, title_justify="left")
    for header in ("#", "tier", "entry", "model", f"{spec.primary} [95% CI]", *others, "Δ baseline (Holm p)", "review", "submitter", "task v"):
        table.add_column(header, justify="left" if header in ("entry", "model", "review", "submitter") else "right", no_wrap=True)
    for row in rows:
        entry = row.entry
        table.add_row(
            str(row.rank) if row.rank is not None else "-",
            str(row.tier) if row.tier is not None else "-",
            row.entry_id[:12],
            entry.label,
            format_metric(entry.metrics.get(spec.primary)),
            *(format_value(entry.metrics.get(name)) for name in others),
            _versus_baseline(row),
            f"[{STATE_STYLES.get(row.state, 'white')}]{row.state}[/]",
            entry.provenance.submitter,
            entry.task_version,
        )
    return table


def _versus_baseline(row: Row) -> str:
    """The difference from the baseline, with its Holm-corrected paired p-value once tested."""
    if row.is_baseline:
        return "baseline"
    if row.delta is None:
        return "-"
    test = row.versus_baseline
    return f"{row.delta:+.4f}" + (f" (p={test.p_holm:.2g})" if test else "")


def format_value(metric: Optional[MetricValue]) -> str:
    return f"{metric.value:.4f}" if metric is not None else "-"


def format_metric(metric: Optional[MetricValue]) -> str:
    if metric is None:
        return "-"
    if metric.ci is None:
        return f"{metric.value:.4f}"
    return f"{metric.value:.4f} [{metric.ci.low:.4f}, {metric.ci.high:.4f}]"
