"""Leaderboard fixtures: synthetic run records (real records of generated data) and a board root."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from medbench.testing import synthetic
from medbench.leaderboard.folder.submit import submit_run

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def runs_dir(tmp_path: Path) -> Path:
    return tmp_path / "runs"


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """The leaderboards folder of the test."""
    return tmp_path / "leaderboards"


@pytest.fixture
def make_record(runs_dir: Path) -> Callable[..., Path]:
    """`make_record(seed=..., **options)` → the folder of a synthetic run record."""

    def make(seed: int = 0, **options) -> Path:
        return synthetic.write_record(runs_dir, seed=seed, **options)

    return make


@pytest.fixture
def submit(root: Path) -> Callable[..., object]:
    """`submit(run_dir, **options)` → the submission result on the test's board root."""

    def submit_one(run_dir: Path, **options):
        options.setdefault("submitter", "tester")
        return submit_run(root, run_dir, **options)

    return submit_one


@pytest.fixture
def cli(root: Path) -> Callable[..., subprocess.CompletedProcess[str]]:
    """Run `python -m medbench ARGS` with the sources of this checkout; `--root` is the test's."""

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        env = dict(os.environ, PYTHONPATH=str(REPO_ROOT), MEDBENCH_SUBMITTER="cli-tester")
        return subprocess.run(
            [sys.executable, "-m", "medbench", *args, "--root", str(root)], capture_output=True, text=True, env=env
        )

    return run
