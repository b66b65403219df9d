"""What `medbench` shows on the terminal: results and the next step, no banners; typos answered with a guess."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

CHATTER = ("GPU available", "TPU available", "Tip", "litlogger", "LitLogger", "srun", "LeafSpec", "logging interval")


def medbench(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "medbench", *args], capture_output=True, text=True, env=env, cwd=cwd)


@pytest.mark.slow
def test_a_run_prints_results_and_the_next_step_without_chatter(cli_env: dict[str, str], tmp_path: Path) -> None:
    result = medbench("run", "debug=fast", env=cli_env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    output = result.stdout + result.stderr
    assert not [word for word in CHATTER if word in output], output
    assert "config" not in result.stderr.lower()  # no config tree unless asked
    assert re.search(r"^next: medbench submit runs/breast_cancer/[0-9a-f]{16}\b", result.stdout.strip().splitlines()[-1])
    again = medbench("run", "debug=fast", "print_config=true", "seed=1", env=cli_env, cwd=tmp_path)
    assert again.returncode == 0 and "trainer" in again.stderr and "task" in again.stderr


def test_a_misspelt_group_option_gets_a_guess_before_anything_runs(cli_env: dict[str, str], tmp_path: Path) -> None:
    result = medbench("run", "model=mlpp", env=cli_env, cwd=tmp_path)
    assert result.returncode == 2
    assert "did you mean 'mlp'?" in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    sweep = medbench("run", "-m", "model=mlp,logreg", "task=breast_cancr", env=cli_env, cwd=tmp_path)
    assert sweep.returncode == 2 and "did you mean 'breast_cancer'?" in sweep.stderr
    assert not (tmp_path / "runs").exists()


def test_a_misspelt_command_gets_a_guess_and_bare_medbench_prints_help(cli_env: dict[str, str], tmp_path: Path) -> None:
    result = medbench("sumbit", "runs/x", env=cli_env, cwd=tmp_path)
    assert result.returncode == 2 and "did you mean 'submit'?" in result.stderr
    bare = medbench(env=cli_env, cwd=tmp_path)
    assert bare.returncode == 0 and "usage: medbench" in bare.stdout and "submit" in bare.stdout


@pytest.mark.parametrize(
    "override, guess",
    [("seeed=1", "did you mean seed?"), ("trainer.max_epoch=3", "did you mean trainer.max_epochs?")],
)
def test_a_misspelt_key_gets_one_line_a_guess_and_exit_2(override: str, guess: str, cli_env: dict[str, str], tmp_path: Path) -> None:
    result = medbench("run", override, env=cli_env, cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert guess in result.stderr and "Traceback" not in result.stderr and "full_key" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    sweep = medbench("run", "-m", override, "seed=1,2", env=cli_env, cwd=tmp_path)
    assert sweep.returncode == 2 and guess in sweep.stderr
    assert not (tmp_path / "runs").exists()
