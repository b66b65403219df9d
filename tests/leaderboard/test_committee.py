"""The committee's commands: a chosen baseline, refusals that say what unblocks them, a refresh hint."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from medbench.errors import LeaderboardError
from medbench.leaderboard.folder import audit
from medbench.leaderboard.folder.ranking import rank_board
from medbench.leaderboard.folder.review import choose_baseline, transition
from medbench.leaderboard.views.site import defused, embeddable
from medbench.leaderboard.folder.store import Board


def test_no_baseline_until_chosen_then_logged_and_verifiable(make_record, submit, root: Path, cli) -> None:
    first, second = (submit(make_record(seed=seed)).entry_id for seed in (1, 2))
    board = Board(root, "synthetic")
    assert board.spec().baseline is None
    assert all(row.delta is None for row in rank_board(board).current)
    result = cli("leaderboard", "baseline", "synthetic", second[:10], "--by", "committee", "--note", "the classic")
    assert result.returncode == 0, result.stderr
    assert "medbench leaderboard build" in result.stdout  # how to refresh the page
    assert board.spec().baseline == second
    event = audit.read_events(board.audit_path)[-1]
    assert (event.event, event.entry, event.actor, event.note) == ("baseline", second, "committee", "the classic")
    assert {row.entry_id: row.delta for row in rank_board(board).current}[second] == 0.0
    assert cli("leaderboard", "verify", "synthetic").returncode == 0


def test_a_rejected_entry_is_not_ranked_and_cannot_be_the_baseline(make_record, submit, root: Path) -> None:
    kept, dropped = (submit(make_record(seed=seed, skill=0.3 + seed)).entry_id for seed in (1, 2))
    board = Board(root, "synthetic")
    transition(board, dropped, "reject", actor="ada", note="leak")
    ranking = rank_board(board)
    assert [row.entry_id for row in ranking.current] == [kept] and [row.entry_id for row in ranking.rejected] == [dropped]
    assert ranking.rejected[0].rank is None
    with pytest.raises(LeaderboardError, match="rejected"):
        choose_baseline(board, dropped, actor="committee")


def test_submit_baseline_with_several_records_names_the_first(make_record, root: Path, cli) -> None:
    runs = [make_record(seed=seed) for seed in (1, 2, 3)]
    result = cli("submit", *map(str, runs), "--baseline")
    assert result.returncode == 0, result.stderr
    board = Board(root, "synthetic")
    first = next(e for e in audit.read_events(board.audit_path) if e.event == "submit")
    assert board.spec().baseline == first.entry and first.data["run_id"] == runs[0].name
    assert "refresh the board page" in result.stdout


def test_submit_skips_the_reruns_of_reproduce_in_a_glob(make_record, tmp_path: Path, cli) -> None:
    run = make_record(seed=1)
    rerun = tmp_path / "runs" / "_reproductions" / "abc-2026" / "synthetic" / "x"
    rerun.mkdir(parents=True)
    result = cli("submit", str(run), str(rerun))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "skipped 1 folder(s) under _reproductions/" in result.stdout


def test_each_refusal_of_review_names_the_command_that_unblocks_it(make_record, submit, root: Path, cli) -> None:
    entry = submit(make_record(seed=1)).entry_id
    refused = cli("review", "approve", entry[:12], "--reviewer", "ada", "--note", "fine")
    assert refused.returncode == 2 and f"medbench reproduce {entry[:12]}" in refused.stderr
    rejected = cli("review", "reject", entry[:12], "--reviewer", "ada", "--note", "leak")
    assert rejected.returncode == 0 and "medbench leaderboard build" in rejected.stdout
    again = cli("review", "approve", entry[:12], "--reviewer", "ada", "--note", "fine")
    assert again.returncode == 2 and "medbench submit" in again.stderr


def test_show_keeps_entry_ids_whole_at_80_columns(make_record, submit, root: Path) -> None:
    from rich.console import Console

    from medbench.leaderboard.views.terminal import print_ranking

    ids = [submit(make_record(seed=seed, model="mlp")).entry_id for seed in (1, 2)]
    ids.append(submit(make_record(seed=1, model="logreg", skill=0.4), baseline=False).entry_id)
    choose_baseline(Board(root, "synthetic"), ids[2], actor="committee")
    console = Console(width=80, file=io.StringIO(), color_system=None)
    print_ranking(rank_board(Board(root, "synthetic")), console)
    text = console.file.getvalue()
    assert max(len(line) for line in text.splitlines()) <= 80
    assert all(entry_id[:12] in text for entry_id in ids)
    assert "mlp" in text and "logreg" in text


def test_embedded_json_has_no_angle_brackets_and_csv_cells_cannot_run_formulas() -> None:
    data = json.dumps({"submitter": "<!--<script>", "other": "</script>&"})
    safe = str(embeddable(data))
    assert "<" not in safe and ">" not in safe and json.loads(safe) == json.loads(data)
    rows = [[defused(cell) for cell in ("=1+1", "+a", "-b", "@c", "plain", -0.5, 3)]]
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    assert next(csv.reader(io.StringIO(buffer.getvalue()))) == ["'=1+1", "'+a", "'-b", "'@c", "plain", "-0.5", "3"]


def test_the_page_states_the_protocols_confidence_level(make_record, submit, root: Path, tmp_path: Path) -> None:
    from medbench.leaderboard.folder.ranking import build_site

    for seed in (1, 2):
        submit(make_record(seed=seed, level=0.9))
    page = (build_site(root, tmp_path / "site").parent / "synthetic" / "index.html").read_text()
    exported = json.loads((tmp_path / "site" / "synthetic" / "synthetic.json").read_text())
    assert exported["level"] == [0.9] and "90% confidence intervals" in page and "95%" not in page


@pytest.mark.slow
def test_compare_and_the_board_give_one_p_value_per_pair_and_the_same_subgroup_numbers(make_record, submit, root: Path) -> None:
    import os
    import subprocess
    import sys

    from medbench.leaderboard.folder.tiers import board_tiers
    from medbench.records.record import read_record

    run_a, run_b = make_record(seed=1, skill=0.9, subgroups=True), make_record(seed=2, skill=0.5, subgroups=True)
    entry_a, entry_b = submit(run_a).entry_id, submit(run_b, baseline=True).entry_id
    board = Board(root, "synthetic")
    ranking = rank_board(board, board_tiers)
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[2]))
    shown = subprocess.run(
        [sys.executable, "-m", "medbench", "compare", str(run_a), str(run_b), "--json"], capture_output=True, text=True, env=env, check=True
    )
    compared = json.loads(shown.stdout)
    test = {row.entry_id: row.versus_baseline for row in ranking.current}[entry_a]
    assert compared["method"] == test.method == "delong"
    assert compared["p_value"] == test.p_value and compared["difference"] == test.difference
    assert ranking.pairs[f"{entry_a}:{entry_b}"]["auroc"].p_value == compared["p_value"]
    recorded = read_record(run_a).metrics().subgroups
    for column, levels in compared["subgroups"].items():
        for level, result in levels.items():
            assert result["value_a"] == recorded[column][level]["auroc"].value
