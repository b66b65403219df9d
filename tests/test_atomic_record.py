"""A run that is killed never leaves a folder that looks like a complete record."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from medbench.records.record import iter_records


@pytest.mark.slow
def test_killed_run_leaves_no_complete_looking_record(cli_env: dict[str, str], tmp_path: Path) -> None:
    command = [
        sys.executable, "-m", "medbench", "run", "print_config=false", "callbacks=none",
        "trainer.max_epochs=100000", "trainer.enable_progress_bar=false",
    ]
    process = subprocess.Popen(command, env=cli_env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    runs = tmp_path / "runs" / "breast_cancer"
    deadline = time.monotonic() + 120
    # Kill it while training, once its staging folder holds logs.
    while time.monotonic() < deadline and not list(runs.glob(".staging/*/logs/*")):
        assert process.poll() is None, process.stderr.read().decode()
        time.sleep(0.2)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    assert list(runs.glob(".staging/*")), "the run was killed before it started writing"
    assert [p for p in runs.iterdir() if not p.name.startswith(".")] == []
    assert list(iter_records(tmp_path / "runs")) == []
