"""Sweeps through `medbench run -m`: parallel jobs, failures contained, summary, resume after a kill."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from medbench.records.record import iter_records
from medbench.sweeps.sweep import SUMMARY_CSV, SUMMARY_JSON

pytestmark = pytest.mark.slow


def _sweep(cli_env: dict[str, str], *overrides: str, **popen: object) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "medbench", "run", "-m", "debug=fast", *overrides],
        capture_output=True,
        text=True,
        env=cli_env,
        timeout=600,
        **popen,
    )


def _summaries(root: Path) -> list[dict]:
    return [json.loads(p.read_text()) for p in sorted((root / "runs" / ".sweeps").glob(f"*/{SUMMARY_JSON}"))]


def test_joblib_sweep_contains_a_failure_and_summarises(cli_env: dict[str, str], tmp_path: Path) -> None:
    result = _sweep(cli_env, "hydra/launcher=joblib", "model.net.dropout=0.0,0.1,0.2,5.0")
    assert result.returncode == 1, result.stderr[-3000:]
    records = {r.manifest.status for r in iter_records(tmp_path / "runs")}
    assert len(list(iter_records(tmp_path / "runs"))) == 4 and records == {"complete", "failed"}
    (summary,) = _summaries(tmp_path)
    assert summary["n_jobs"] == 4 and summary["n_failed"] == 1
    by_override = {row["overrides"]: row for row in summary["rows"]}
    failed = by_override["debug=fast model.net.dropout=5.0"]
    assert failed["status"] == "failed" and "dropout probability" in failed["error"]
    for dropout in ("0.0", "0.1", "0.2"):
        row = by_override[f"debug=fast model.net.dropout={dropout}"]
        assert row["status"] == "complete" and row["primary_metric"] == "auroc" and 0.5 < row["value"] <= 1
    csv_text = next((tmp_path / "runs" / ".sweeps").glob(f"*/{SUMMARY_CSV}")).read_text()
    assert csv_text.splitlines()[0].startswith("job,run_id,overrides,status,primary_metric,value,ci_low,ci_high")
    # The table is printed too: every run id is on the terminal.
    for row in summary["rows"]:
        assert row["run_id"] in result.stdout


def test_submitit_local_sweep(cli_env: dict[str, str], tmp_path: Path) -> None:
    result = _sweep(cli_env, "hydra/launcher=submitit_local", "model=logreg", "seed=0,1")
    assert result.returncode == 0, result.stderr[-3000:]
    (summary,) = _summaries(tmp_path)
    assert [row["status"] for row in summary["rows"]] == ["complete", "complete"]
    assert len({row["run_id"] for row in summary["rows"]}) == 2
    assert list((tmp_path / "runs" / ".sweeps").glob("*/.submitit/*"))


def test_killed_sweep_resumes_and_skips_complete_runs(cli_env: dict[str, str], tmp_path: Path) -> None:
    command = [sys.executable, "-m", "medbench", "run", "-m", "debug=fast", "hydra/launcher=joblib", "seed=0,1,2,3"]
    launcher = subprocess.Popen(
        command, env=cli_env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    runs = tmp_path / "runs"
    deadline = time.monotonic() + 300
    while not list(iter_records(runs)) and time.monotonic() < deadline and launcher.poll() is None:
        time.sleep(0.2)
    # SIGKILL the launcher and its workers: the worst interruption (no handler, no cleanup).
    os.killpg(launcher.pid, signal.SIGKILL)
    launcher.wait()
    before = {r.run_id: r.manifest.timing.started_at for r in iter_records(runs) if r.complete}
    assert 1 <= len(before) < 4, "the kill came too late to interrupt the sweep"

    result = _sweep(cli_env, "hydra/launcher=joblib", "seed=0,1,2,3")
    assert result.returncode == 0, result.stderr[-3000:]
    after = [r for r in iter_records(runs)]
    assert len(after) == 4 and all(r.complete for r in after)
    for record in after:
        if record.run_id in before:
            assert record.manifest.timing.started_at == before[record.run_id]
    summary = _summaries(tmp_path)[-1]
    statuses = {row["run_id"]: row["status"] for row in summary["rows"]}
    assert {statuses[run_id] for run_id in before} == {"reused"}
    assert sorted(statuses.values()).count("complete") == 4 - len(before)


def test_the_table_says_shared_overrides_once_and_keeps_what_differs() -> None:
    from medbench.sweeps.sweep import split_overrides

    jobs = [["debug=fast", "model=mlp", "seed=0"], ["debug=fast", "model=logreg", "seed=0"]]
    assert split_overrides(jobs) == (["debug=fast", "seed=0"], [["model=mlp"], ["model=logreg"]])
    assert split_overrides([["debug=fast"]]) == ([], [["debug=fast"]])
