"""`trainer=ddp`: two CPU ranks (gloo) through `medbench run`; rank 0 alone predicts and writes the record."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from medbench.records.record import iter_records


@pytest.mark.slow
def test_ddp_run_writes_one_complete_record(cli_env: dict[str, str], tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "medbench", "run", "debug=fast", "trainer=ddp", "trainer.accelerator=cpu",
         "trainer.devices=2", "trainer.sync_batchnorm=false"],
        capture_output=True, text=True, env=cli_env, timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    (record,) = iter_records(tmp_path / "runs")
    assert record.complete
    # Every test sample scored once, in split order, although training was sharded over 2 ranks.
    assert record.predictions()["sample_id"].tolist() == record.splits()["test"]
    assert not any((tmp_path / "runs" / "breast_cancer" / ".staging").iterdir())
