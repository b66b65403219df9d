"""`medbench leaderboard show`: the ranking in the terminal, without loading torch."""

from __future__ import annotations

import io
import re
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


def test_at_80_columns_names_wrap_between_tokens_and_p_values_read_as_p_values(make_record, submit, root: Path) -> None:
    from rich.console import Console

    from medbench.leaderboard.board.naming import name_entries
    from medbench.leaderboard.folder.ranking import rank_board
    from medbench.leaderboard.folder.tiers import board_tiers
    from medbench.leaderboard.folder.review import choose_baseline
    from medbench.leaderboard.views.terminal import print_ranking

    long_settings = {"max_features": 20000, "ngram_range": "[1,2]", "sublinear_tf": True}
    baseline = submit(make_record(seed=0, model="logreg", skill=0.5)).entry_id
    for seed, settings in enumerate((long_settings, {**long_settings, "max_features": 5000}), start=1):
        submit(make_record(seed=seed, model="tfidf_logreg", settings=settings, skill=0.5 + seed / 100))
    submit(make_record(seed=3, model="logreg", skill=0.5))  # no better than the baseline: p near 1
    choose_baseline(Board(root, "synthetic"), baseline, actor="committee")
    ranking = rank_board(Board(root, "synthetic"), board_tiers)
    console = Console(width=80, file=io.StringIO(), color_system=None)
    print_ranking(ranking, console)
    text = console.file.getvalue()
    assert max(len(line) for line in text.splitlines()) <= 80
    table = text.split("ranked entries", 1)[1]
    names = name_entries({row.entry_id: row.entry for row in ranking.current})
    tokens = {token for name in names.values() for token in name.text.split(" · ")}
    assert {"model.max_features=20000", "model.max_features=5000"} <= tokens
    assert all(token in table for token in tokens), table  # each token whole on one line
    tested = [row for row in ranking.current if row.versus_baseline is not None]
    assert tested and all(f"Holm {row.versus_baseline.p_holm:.3f}" in table for row in tested if row.versus_baseline.p_holm >= 0.001)
    assert not re.search(r"\(p=|; 1\)|\bp 1\b", table), table
