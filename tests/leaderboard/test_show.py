"""`medbench leaderboard show`: the ranking in the terminal, without loading torch."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from medbench.leaderboard.folder.store import Board

HEAVY = ("torch", "pytorch_lightning", "lightning", "torchmetrics", "datasets", "wandb", "pandas")


def test_show_ranks_by_the_primary_metric_and_shows_the_numbers(make_record, submit, root: Path, cli) -> None:
    for seed in range(4):
        submit(make_record(seed=seed, skill=0.3 + seed / 5))
    entries = Board(root, "synthetic").entries()
    result = cli("leaderboard", "show", "synthetic")
    assert result.returncode == 0, result.stderr
    best_first = sorted(entries.items(), key=lambda item: -item[1].metrics["auroc"].value)
    positions = [result.stdout.index(f"│ {entry_id[:12]} │") for entry_id, _ in best_first]
    assert positions == sorted(positions)
    for entry in entries.values():
        assert f"{entry.metrics['auroc'].value:.4f} [{entry.metrics['auroc'].ci.low:.4f}" in result.stdout
        assert f"{entry.metrics['brier'].value:.4f}" in result.stdout
    assert "baseline" in result.stdout and "submitted" in result.stdout


def test_show_imports_nothing_heavy(make_record, submit, root: Path) -> None:
    submit(make_record(seed=1))
    code = (
        "import sys\n"
        "from medbench.cli import main\n"
        f"assert main(['leaderboard', 'show', 'synthetic', '--root', {str(root)!r}]) == 0\n"
        f"print('HEAVY:' + ','.join(m for m in {HEAVY!r} if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().endswith("HEAVY:"), out


def test_unknown_board_says_how_to_create_one(cli) -> None:
    result = cli("leaderboard", "show", "nothing-here")
    assert result.returncode == 2 and "no such board" in result.stderr and "medbench submit" in result.stderr
