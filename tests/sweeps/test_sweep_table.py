"""The sweep table prints every override as typed, list values included."""

from __future__ import annotations

import pytest

from medbench.sweeps.sweep import SummaryRow, SweepSummaryFile, print_summary


def test_list_values_and_bracketed_errors_show_as_typed(capsys: pytest.CaptureFixture[str]) -> None:
    rows = [
        SummaryRow(job=0, run_id="a" * 16, overrides="task.data.drop_columns=[age,sex] seed=0", status="complete"),
        SummaryRow(job=1, run_id=None, overrides="task.data.drop_columns=[] seed=1", status="refused", error="no column [bmi] in the file"),
    ]
    print_summary(SweepSummaryFile(sweep_dir="multirun/x", finished_at="2026-01-01T00:00:00+00:00", n_jobs=2, n_failed=1, rows=rows))
    out = capsys.readouterr().out
    assert "task.data.drop_columns=[age,sex]" in out and "task.data.drop_columns=[]" in out
    assert "no column [bmi] in the file" in out
