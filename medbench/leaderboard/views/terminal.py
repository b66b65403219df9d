"""`medbench leaderboard show`: a board as a rich table, current entries first, stale ones apart."""

from __future__ import annotations

import sys
from typing import Optional

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from medbench.leaderboard.board.naming import EntryName, name_entries
from medbench.leaderboard.board.ranking import Ranking, Row
from medbench.records.record import MetricValue

STATE_STYLES = {"submitted": "yellow", "reproduced": "cyan", "approved": "green", "rejected": "red"}


# Below this width the secondary metrics and the submitter are left out, so that the columns
# `review` and `reproduce` need (the entry id) and the ranking itself keep their full width.
WIDE = 140
ID_WIDTH = 12


def print_ranking(ranking: Ranking, console: Optional[Console] = None, limit: int = 50) -> None:
    """Print the top `limit` ranked entries (0: all), then the rejected and the stale ones."""
    # Piped output (a file, a test, CI logs) gets room for every column instead of 80 characters.
    console = console or Console(width=None if sys.stdout.isatty() else 220)
    spec = ranking.spec
    names = name_entries({row.entry_id: row.entry for row in ranking.current + ranking.rejected + ranking.stale})
    baseline = next((row for row in ranking.current if row.is_baseline), None)
    console.print(
        f"[bold]{spec.name}[/bold]  task {spec.task} v{spec.task_version} ({spec.kind})  "
        f"data {spec.dataset_fingerprint[:12]}  primary {spec.primary} ({spec.direction})  "
        f"baseline {baseline.entry_id[:ID_WIDTH] + ' ' + names[baseline.entry_id].text if baseline else f'none chosen (medbench leaderboard baseline {spec.name} ENTRY --by NAME)'}"
    )
    if ranking.tiers_note:
        console.print(f"tiers: {ranking.tiers_note}")
    wide = console.width >= WIDE
    shown = ranking.current if limit <= 0 else ranking.current[:limit]
    console.print(_table(ranking, names, shown, f"{len(ranking.current)} ranked entries", wide, baseline is not None))
    if len(shown) < len(ranking.current):
        console.print(f"… {len(ranking.current) - len(shown)} more (--limit 0 shows all)")
    for rows, title in (
        (ranking.rejected, f"{len(ranking.rejected)} rejected by the committee (not ranked)"),
        (ranking.stale, f"{len(ranking.stale)} stale entries (older task versions, not ranked)"),
    ):
        if rows:
            console.print(_table(ranking, names, rows if limit <= 0 else rows[:limit], title, wide, False))
    if not wide and len(spec.metrics) > 1:
        console.print(f"other metrics and submitters: a terminal of {WIDE}+ columns shows them (or `leaderboard build` for the page)")


def _table(ranking: Ranking, names: dict[str, EntryName], rows: list[Row], title: str, wide: bool, with_delta: bool) -> Table:
    spec = ranking.spec
    others = [name for name in spec.metrics if name != spec.primary] if wide else []
    table = Table(title=title, title_justify="left")
    table.add_column("#", justify="right", no_wrap=True)
    table.add_column("tier", justify="right", no_wrap=True)
    table.add_column("entry", no_wrap=True, min_width=ID_WIDTH)
    table.add_column("name", ratio=1, overflow="fold")
    table.add_column(f"{spec.primary} [CI]", justify="right")
    for name in others:
        table.add_column(name, justify="right", no_wrap=True)
    if with_delta:
        table.add_column("Δ baseline (p; Holm)", justify="right", overflow="fold")
    table.add_column("review", no_wrap=True)
    if wide:
        table.add_column("submitter", overflow="fold")
        table.add_column("task v", justify="right", no_wrap=True)
    for row in rows:
        entry = row.entry
        cells = [
            str(row.rank) if row.rank is not None else "-",
            str(row.tier) if row.tier is not None else "-",
            row.entry_id[:ID_WIDTH],
            escape(names[row.entry_id].text + (f" · seed {entry.provenance.seed}" if entry.provenance.seed is not None else "")),
            format_metric(entry.metrics.get(spec.primary)),
            *(format_value(entry.metrics.get(name)) for name in others),
        ]
        if with_delta:
            cells.append(_versus_baseline(row))
        cells.append(f"[{STATE_STYLES.get(row.state, 'white')}]{row.state}[/]")
        if wide:
            cells += [escape(entry.provenance.submitter), entry.task_version]
        table.add_row(*cells)
    return table


def _versus_baseline(row: Row) -> str:
    """The difference from the baseline, with its Holm-corrected paired p-value once tested."""
    if row.is_baseline:
        return "baseline"
    if row.delta is None:
        return "-"
    test = row.versus_baseline
    if test is None:
        return f"{row.delta:+.4f}"
    p = f"{test.p_value:.2g}" if test.p_value is not None else "-"
    return f"{row.delta:+.4f} (p={p}; {test.p_holm:.2g})"


def format_value(metric: Optional[MetricValue]) -> str:
    return f"{metric.value:.4f}" if metric is not None else "-"


def format_metric(metric: Optional[MetricValue]) -> str:
    if metric is None:
        return "-"
    if metric.ci is None:
        return f"{metric.value:.4f}"
    return f"{metric.value:.4f} [{metric.ci.low:.4f}, {metric.ci.high:.4f}]"
