"""Complementary cell suppression: no hidden cell of a published table can be worked out from its totals."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import linprog

from medbench.stats.suppression import suppressed_cells


def attacker_bounds(counts: np.ndarray, hidden: np.ndarray) -> dict[tuple[int, int], tuple[float, float]]:
    """What an attacker who knows every row and column total and every visible cell can say of each hidden cell."""
    cells = [tuple(c) for c in np.argwhere(hidden)]
    rows, totals = [], []
    for axis in (0, 1):
        for line in range(counts.shape[1 - axis] if axis else counts.shape[0]):
            members = [m for m, c in enumerate(cells) if c[axis] == line]
            if members:
                equation = np.zeros(len(cells))
                equation[members] = 1
                rows.append(equation)
                visible = counts[line][~hidden[line]] if axis == 0 else counts[:, line][~hidden[:, line]]
                totals.append((counts[line].sum() if axis == 0 else counts[:, line].sum()) - visible.sum())
    bounds = {}
    for m, cell in enumerate(cells):
        c = np.zeros(len(cells))
        c[m] = 1
        low = linprog(c, A_eq=np.array(rows), b_eq=np.array(totals), bounds=(0, None), method="highs").fun
        high = -linprog(-c, A_eq=np.array(rows), b_eq=np.array(totals), bounds=(0, None), method="highs").fun
        bounds[cell] = (low, high)
    return bounds


@pytest.mark.parametrize("seed", range(12))
def test_no_hidden_cell_is_pinned_down_by_the_totals(seed: int) -> None:
    rng = np.random.default_rng(seed)
    counts = rng.poisson(rng.uniform(2, 12), size=(rng.integers(2, 9), rng.integers(2, 6)))
    counts[-1] = rng.poisson(3, size=counts.shape[1])  # the rest row: never shown
    hidden = suppressed_cells(counts, 5, rest_row=True)
    assert hidden[-1].all()
    assert not ((counts > 0) & (counts < 5) & ~hidden).any()
    for (i, j), (low, high) in attacker_bounds(counts, hidden).items():
        if i < counts.shape[0] - 1 and counts[i, j] > 0:
            assert high - low >= 0.5, f"cell {(i, j)} = {counts[i, j]} is pinned to [{low}, {high}]"


def test_the_lone_small_cell_of_a_row_gets_a_partner_and_large_cells_stay() -> None:
    counts = np.array([[40, 30, 2], [50, 45, 20], [0, 0, 0]])
    hidden = suppressed_cells(counts, 5, rest_row=True)
    assert hidden[0, 2] and hidden[0].sum() == 2  # the 2 and the smallest other cell of its row
    assert hidden[:2].sum() == 4  # and a pair in the second row, so that the columns give nothing back either
    assert not hidden[1, 0]


def test_a_small_level_is_hidden_whole_and_cannot_be_recovered_from_the_rows() -> None:
    counts = np.array([[20, 18, 2], [30, 25, 1], [0, 0, 0]])
    hidden = suppressed_cells(counts, 5, rest_row=True, hidden_columns=counts.sum(axis=0) < 5)
    assert hidden[:, 2].all() and hidden[0].sum() >= 2 and hidden[1].sum() >= 2
