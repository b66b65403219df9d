"""Notes files written per test: the synthetic bilingual notes, or a small table given inline."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest


@pytest.fixture
def notes_file(tmp_path: Path) -> Callable[..., Path]:
    """`notes_file(rows, suffix)` → `rows` (list of dicts) written as CSV, JSONL or parquet."""

    def write(rows: list[dict], suffix: str = ".csv", name: str = "notes") -> Path:
        path = tmp_path / f"{name}{suffix}"
        frame = pd.DataFrame(rows)
        if suffix == ".csv":
            frame.to_csv(path, index=False, encoding="utf-8")
        elif suffix == ".jsonl":
            path.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8")
        else:
            frame.to_parquet(path, index=False)
        return path

    return write


@pytest.fixture
def rows_of() -> Callable[[dict[str, int]], list[dict]]:
    """`rows_of({label: count})` → rows with ids with leading zeros, accented French text, a language."""
    return make_rows


def make_rows(labels: dict[str, int], language_cycle: tuple[str, ...] = ("fr", "en")) -> list[dict]:
    rows = []
    for label, count in labels.items():
        for i in range(count):
            rows.append({
                "id": f"{len(rows):04d}",
                "text": f"Œdème et céphalées, note {i} — {label}",
                "label": label,
                "language": language_cycle[i % len(language_cycle)],
            })
    return rows
