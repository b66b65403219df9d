"""benchmarks/gpu_path.py still runs: its --smoke mode (CPU, generated data, one epoch) writes the JSON."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_gpu_path_smoke_writes_its_numbers(cli_env: dict[str, str], tmp_path: Path) -> None:
    out = tmp_path / "gpu_path.json"
    completed = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / "gpu_path.py"), "--smoke", "--out", str(out), "--root", str(tmp_path / "root"), "--threads", "1"],
        capture_output=True, text=True, env=cli_env, timeout=600,
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    result = json.loads(out.read_text())
    assert result["smoke"] is True and result["machine"]["torch"]
    image, dense = result["pneumoniamnist_resnet18"], result["dense_minilm"]
    assert image["epochs"] == 1 and 0 <= image["metrics"]["auroc"]["value"] <= 1 and image["training_images_per_second"] > 0
    assert Path(image["record"]).is_dir() and Path(dense["record"]).is_dir()
    assert dense["dimensions"] == 384 and dense["documents"] > 0 and dense["documents_per_second"] > 0
    assert dense["ci"][0] <= dense["ndcg@10"] <= dense["ci"][1]


@pytest.mark.slow
def test_without_a_gpu_the_full_path_refuses_with_one_line(cli_env: dict[str, str], tmp_path: Path) -> None:
    pytest.importorskip("torch")
    import torch

    if torch.cuda.is_available():
        pytest.skip("a GPU is present")
    completed = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / "gpu_path.py"), "--out", str(tmp_path / "x.json")],
        capture_output=True, text=True, env=cli_env, timeout=120,
    )
    assert completed.returncode == 2 and "no CUDA device" in completed.stderr and "--smoke" in completed.stderr
    assert not (tmp_path / "x.json").exists()
