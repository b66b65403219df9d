"""`medbench leaderboard baseline BOARD ENTRY --db URL`: the committee's choice, made as the token's user."""

from __future__ import annotations

import pytest

from medbench.testing import synthetic
from medbench.leaderboard.committee.hidden import public_columns
from medbench.records.record import read_record


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_reviewer_chooses_the_baseline_from_the_command_line(store, board, people, runs, medbench_cli, db_url, key_path) -> None:
    frame = public_columns(read_record(synthetic.write_record(runs, seed=1)).predictions())
    entry = store.submit(board, frame, {"model_target": "NetA"}, people.alice).entry_id
    db = ("--db", db_url, "--key", str(key_path))
    args = ("leaderboard", "baseline", board, entry[:12], *db)

    refused = medbench_cli(*args, "--note", "reference model", token=people.tokens["alice"])
    assert refused.returncode == 2 and "choose a baseline" in refused.stderr, refused.stderr
    named = medbench_cli(*args, "--note", "x", "--by", "bob", token=people.tokens["bob"])
    assert named.returncode == 2 and "MEDBENCH_TOKEN" in named.stderr
    chosen = medbench_cli(*args, "--note", "reference model", token=people.tokens["bob"])
    assert chosen.returncode == 0, chosen.stderr
    assert f"entry {entry[:12]} chosen by bob" in chosen.stdout

    assert store.spec(board).baseline == entry
    last = store.events(board)[-1]
    assert (last.event, last.entry, last.actor, last.note) == ("baseline", entry, "bob", "reference model")
