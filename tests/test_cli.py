"""The `medbench` command: help without heavy imports, and Hydra's errors surfacing clearly."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HEAVY = ("torch", "pytorch_lightning", "lightning", "torchmetrics", "datasets", "wandb")
# What building the parser must not import either: only the chosen command loads its machinery.
COMMAND_MACHINERY = (
    "pydantic", "pandas", "hydra", "medbench.leaderboard.folder.store", "medbench.records.record",
    "sqlalchemy", "fastapi", "uvicorn", "httpx", "cryptography", "alembic",
)


def test_help_lists_subcommands_without_heavy_imports() -> None:
    code = (
        "import sys\n"
        "from medbench.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        f"print('HEAVY:' + ','.join(m for m in {HEAVY + COMMAND_MACHINERY!r} if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "run" in out
    assert out.strip().endswith("HEAVY:"), out


def test_unknown_group_option_lists_valid_ones(cli_env: dict[str, str], tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "medbench", "run", "model=does_not_exist"], capture_output=True, text=True, env=cli_env
    )
    assert result.returncode != 0
    assert "does_not_exist" in result.stderr
    assert "mlp" in result.stderr and "logreg" in result.stderr
    assert not (tmp_path / "runs").exists()


def test_wrong_type_names_the_key(cli_env: dict[str, str], tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "medbench", "run", "seed=abc"], capture_output=True, text=True, env=cli_env
    )
    assert result.returncode != 0
    assert "seed" in result.stderr
    assert not (tmp_path / "runs").exists()


def test_run_hands_hydra_flags_through_in_order(monkeypatch) -> None:
    """`-m`, `--cfg job` and overrides reach Hydra untouched, not parsed as medbench options."""
    import medbench.app
    from medbench.cli import main

    received = []
    monkeypatch.setattr(medbench.app, "launch", lambda argv: received.append(list(argv)) or 0)
    assert main(["run", "-m", "model=mlp,logreg", "--cfg", "job", "seed=1"]) == 0
    assert received == [["-m", "model=mlp,logreg", "--cfg", "job", "seed=1"]]
