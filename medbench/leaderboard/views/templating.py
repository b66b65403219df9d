"""What every page and download of the views shares: the template environment and spreadsheet-safe cells."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@lru_cache(maxsize=1)
def environment() -> Environment:
    return Environment(loader=PackageLoader("medbench.leaderboard.views", "templates"), autoescape=select_autoescape(["html"]))


def defused(cell: Any) -> Any:
    """A text cell a spreadsheet would run as a formula gets a leading apostrophe; numbers stay numbers."""
    if isinstance(cell, str) and cell.startswith(FORMULA_STARTS):
        return "'" + cell
    return cell
