"""Small-cell suppression of a two-way count table whose margins are published.

Hiding each cell under k is not enough when the row and column totals are shown: a row with one
hidden cell gives it away by subtraction (a pathway of 8 patients, 6 of them women, has 2 men).
This is the differencing attack on statistical tables, and the remedy is complementary
(secondary) suppression, as statistical offices do it (tau-ARGUS): hide more cells until no
hidden cell can be worked out from what is shown.

Two passes. A greedy one hides, in any line with exactly one hidden non-zero cell of a shown row, the smallest
visible non-zero cell (what loses the least). Then an audit solves, for each hidden non-zero cell,
the smallest and largest value it can take given every published total and the visible cells
(two small linear programs); a cell whose value is pinned down gets a partner hidden in its row,
and the audit runs again. Both passes end: each step hides one more cell.

The table's last row may be a `rest` row that is never shown (the patients of pathways
suppressed as a whole, whose total is published); `hidden_columns` are columns never shown (a
subgroup level with fewer than k patients). Both take part as hidden cells, so no chain of
subtractions through them recovers a cell either.
"""

from __future__ import annotations

from typing import Optional

import numpy as np

# A hidden cell is disclosed when what is published pins it to a range narrower than this.
PINNED = 0.5


def suppressed_cells(counts: np.ndarray, k: int, *, rest_row: bool = False, hidden_columns: Optional[np.ndarray] = None) -> np.ndarray:
    """A boolean mask of the cells of `counts` (rows × columns; row, column and grand totals
    published) to hide: every non-zero cell under `k`, the `rest` row (the last, when `rest_row`),
    the `hidden_columns`, and complementary cells so that no hidden non-zero cell of a shown row can
    be worked out (all cells, when nothing else protects one)."""
    counts = np.asarray(counts, dtype=np.int64)
    hidden = (counts > 0) & (counts < k)
    if rest_row:
        hidden[-1, :] = True
    if hidden_columns is not None:
        hidden[:, np.asarray(hidden_columns, dtype=bool)] = True
    shown_rows = counts.shape[0] - int(rest_row)
    while _hide_partner_in_a_lone_line(counts, hidden, shown_rows):
        pass
    while True:
        pinned = _pinned_cell(counts, hidden, shown_rows)
        if pinned is None:
            return hidden
        if not _hide_partner(counts, hidden, pinned, shown_rows):
            hidden[:] = True  # nothing left to hide beside it: the table is withheld whole
            return hidden


def _hide_partner_in_a_lone_line(counts: np.ndarray, hidden: np.ndarray, shown_rows: int) -> bool:
    secret = hidden & (counts > 0)
    secret[shown_rows:] = False  # the rest row's cells are aggregates of unknown pathways: sensitive only as a lever
    lone = [_row(counts, i) for i in np.flatnonzero(secret.sum(axis=1) == 1)]
    lone += [_column(counts, j) for j in np.flatnonzero(secret.sum(axis=0) == 1)]
    return any(_hide_smallest(counts, hidden, cells, shown_rows) for cells in lone)


def _hide_partner(counts: np.ndarray, hidden: np.ndarray, cell: tuple[int, int], shown_rows: int) -> bool:
    row, column = cell
    return _hide_smallest(counts, hidden, _row(counts, row), shown_rows) or _hide_smallest(counts, hidden, _column(counts, column), shown_rows)


def _row(counts: np.ndarray, i: int) -> list[tuple[int, int]]:
    return [(i, j) for j in range(counts.shape[1])]


def _column(counts: np.ndarray, j: int) -> list[tuple[int, int]]:
    return [(i, j) for i in range(counts.shape[0])]


def _hide_smallest(counts: np.ndarray, hidden: np.ndarray, cells: list[tuple[int, int]], shown_rows: int) -> bool:
    visible = [cell for cell in cells if cell[0] < shown_rows and counts[cell] > 0 and not hidden[cell]]
    if not visible:
        return False
    hidden[min(visible, key=lambda cell: (counts[cell], cell))] = True
    return True


def _pinned_cell(counts: np.ndarray, hidden: np.ndarray, shown_rows: int) -> Optional[tuple[int, int]]:
    """A hidden non-zero cell of a shown row whose value the published totals determine, if any.

    The unknowns are the hidden cells; each row and column with any gives one equation: its hidden
    cells sum to its published total less its visible cells, that is to its hidden cells' own sum."""
    from scipy.optimize import linprog

    cells = np.argwhere(hidden)
    if len(cells) == 0:
        return None
    equations, totals = [], []
    for axis in (0, 1):  # rows, then columns
        for line in np.unique(cells[:, axis]):
            equations.append((cells[:, axis] == line).astype(float))
            totals.append(float((counts * hidden).take(line, axis=axis).sum()))
    a_eq, b_eq = np.array(equations), np.array(totals)
    for m, (i, j) in enumerate(cells):
        if i >= shown_rows or counts[i, j] == 0:
            continue
        objective = np.zeros(len(cells))
        objective[m] = 1.0
        low = linprog(objective, A_eq=a_eq, b_eq=b_eq, bounds=(0, None), method="highs")
        high = linprog(-objective, A_eq=a_eq, b_eq=b_eq, bounds=(0, None), method="highs")
        if low.status == 0 and high.status == 0 and -high.fun - low.fun < PINNED:
            return int(i), int(j)
    return None
