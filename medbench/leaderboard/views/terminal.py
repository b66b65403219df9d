"""`medbench leaderboard show`: a board as a rich table, current entries first, stale ones apart."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Optional

from rich.cells import cell_len
from rich.console import Console, JustifyMethod
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
    console.print(_table(ranking, names, shown, f"{len(ranking.current)} ranked entries", wide, baseline is not None, console.width))
    if len(shown) < len(ranking.current):
        console.print(f"… {len(ranking.current) - len(shown)} more (--limit 0 shows all)")
    for rows, title in (
        (ranking.rejected, f"{len(ranking.rejected)} rejected by the committee (not ranked)"),
        (ranking.stale, f"{len(ranking.stale)} stale entries (older task versions, not ranked)"),
    ):
        if rows:
            console.print(_table(ranking, names, rows if limit <= 0 else rows[:limit], title, wide, False, console.width))
    if not wide and len(spec.metrics) > 1:
        console.print(f"other metrics and submitters: a terminal of {WIDE}+ columns shows them (or `leaderboard build` for the page)")


@dataclass(frozen=True)
class Column:
    """One column: its header and its cells, each a list of pieces that a line break may separate."""

    header: str
    cells: list[list[str]]
    justify: JustifyMethod = "left"

    def widest_piece(self) -> int:
        return max(cell_len(piece) for cell in [self.header.split(), *self.cells] for piece in cell)

    def natural(self) -> int:
        return max(cell_len(" ".join(cell)) for cell in [[self.header], *self.cells])


def pieces(tokens: Sequence[str], mark: str) -> list[str]:
    """The tokens with the mark between them kept on the token before it ("logreg ·", "+0.0536,")."""
    return [token + mark if index < len(tokens) - 1 else token for index, token in enumerate(tokens)]


def wrap_pieces(cell: Sequence[str], width: int) -> list[str]:
    """Lines of at most `width` cells, broken only between pieces (a piece longer than `width` stands alone)."""
    lines: list[str] = []
    for piece in cell:
        if lines and cell_len(f"{lines[-1]} {piece}") <= width:
            lines[-1] += f" {piece}"
        else:
            lines.append(piece)
    return lines


def _table(ranking: Ranking, names: dict[str, EntryName], rows: list[Row], title: str, wide: bool, with_delta: bool, width: int) -> Table:
    """The rows as a table that fits `width`; a long cell breaks between its tokens, never inside one.

    A name reads "logreg ·" / "model.C=1.0 ·" / "seed 0", never "model.C=1" / ".0". Below `WIDE`
    columns the frame goes and the entry id heads its name in one column; the difference and the
    interval stack before the name wraps.
    """
    spec = ranking.spec
    others = [name for name in spec.metrics if name != spec.primary] if wide else []
    name_cells = [pieces([*names[row.entry_id].text.split(" · "), f"seed {row.entry.provenance.seed}"], " ·") for row in rows]
    entry_cells = [[row.entry_id[:ID_WIDTH]] for row in rows]
    primary = f"{spec.primary} [CI]"
    columns = [
        Column("#", [[str(row.rank) if row.rank is not None else "-"] for row in rows], justify="right"),
        Column("tier", [[str(row.tier) if row.tier is not None else "-"] for row in rows], justify="right"),
        *(
            (Column("entry", entry_cells), Column("name", name_cells))
            if wide
            else (Column("entry · name", [[*entry, "\n", *name] for entry, name in zip(entry_cells, name_cells)]),)
        ),
        Column(primary, [metric_tokens(row.entry.metrics.get(spec.primary)) for row in rows], justify="right"),
        *(Column(name, [[format_value(row.entry.metrics.get(name))] for row in rows], justify="right") for name in others),
    ]
    if with_delta:
        columns.append(Column("Δ baseline", [pieces(_versus_baseline(row), ",") for row in rows], justify="right"))
    columns.append(Column("review", [[row.state] for row in rows]))
    if wide:
        columns.append(Column("submitter", [[row.entry.provenance.submitter] for row in rows]))
        columns.append(Column("task v", [[row.entry.task_version] for row in rows], justify="right"))
    # The framed table spends 3 cells per column and 1 more; the bare one 2 per gap between columns.
    room = width - (3 * len(columns) + 1 if wide else 2 * (len(columns) - 1))
    widths = _fit(columns, ["Δ baseline", primary, "name" if wide else "entry · name"], room)
    table = Table(title=title, title_justify="left") if wide else Table(title=title, title_justify="left", box=None, pad_edge=False, header_style="bold underline")
    for column, column_width in zip(columns, widths):
        table.add_column(column.header, justify=column.justify, width=column_width, overflow="fold")
    for index, row in enumerate(rows):
        cells = [escape(_lines(column.cells[index], column_width)) for column, column_width in zip(columns, widths)]
        cells[-3 if wide else -1] = f"[{STATE_STYLES.get(row.state, 'white')}]{cells[-3 if wide else -1]}[/]"
        table.add_row(*cells)
    return table


def _lines(cell: list[str], width: int) -> str:
    """The cell wrapped to `width`; a "\n" piece is a forced break (the entry id above its name)."""
    if "\n" not in cell:
        return "\n".join(wrap_pieces(cell, width))
    cut = cell.index("\n")
    return _lines(cell[:cut], width) + "\n" + _lines(cell[cut + 1 :], width)


def _fit(columns: list[Column], shrinking: list[str], room: int) -> list[int]:
    """Column widths: each at its natural width, then the `shrinking` ones in order down to their widest piece."""
    widths = [column.natural() for column in columns]
    for header in shrinking:
        excess = sum(widths) - room
        index = next((i for i, column in enumerate(columns) if column.header == header), None)
        if excess <= 0 or index is None:
            continue
        column = columns[index]
        target = max(column.widest_piece(), widths[index] - excess)
        lines = [line for cell in column.cells for line in _lines(cell, target).splitlines()]
        widths[index] = max([cell_len(line) for line in lines] + [column.widest_piece()])
    return widths


def _versus_baseline(row: Row) -> list[str]:
    """The difference from the baseline, with its paired p-value and Holm's correction of it once tested."""
    if row.is_baseline:
        return ["baseline"]
    if row.delta is None:
        return ["-"]
    test = row.versus_baseline
    if test is None:
        return [f"{row.delta:+.4f}"]
    return [f"{row.delta:+.4f}", f"p {format_p(test.p_value)}", f"Holm {format_p(test.p_holm)}"]


def format_p(p: Optional[float]) -> str:
    """A p-value with three decimals (never "1" alone, which reads as a count), "<0.001" below that."""
    if p is None:
        return "-"
    return "<0.001" if p < 0.001 else f"{p:.3f}"


def metric_tokens(metric: Optional[MetricValue]) -> list[str]:
    """The value, then its interval: the two may stand on separate lines, the interval never splits."""
    if metric is None:
        return ["-"]
    if metric.ci is None:
        return [f"{metric.value:.4f}"]
    return [f"{metric.value:.4f}", f"[{metric.ci.low:.4f}, {metric.ci.high:.4f}]"]


def format_value(metric: Optional[MetricValue]) -> str:
    return f"{metric.value:.4f}" if metric is not None else "-"
