"""Entries are named by what was run and told apart by the settings that differ; seeds group."""

from __future__ import annotations

from pathlib import Path

from medbench.leaderboard.board.naming import name_entries
from medbench.leaderboard.folder.store import Board


def names_of(root: Path, board: str = "synthetic") -> dict[str, str]:
    return {entry_id: name.text for entry_id, name in name_entries(Board(root, board).entries()).items()}


def test_model_options_name_entries_and_seeds_of_one_config_share_a_group(make_record, submit, root: Path) -> None:
    mlp = [submit(make_record(seed=seed, model="mlp")).entry_id for seed in (1, 2, 3)]
    logreg = [submit(make_record(seed=seed, model="logreg", skill=0.5)).entry_id for seed in (1, 2)]
    names = name_entries(Board(root, "synthetic").entries())
    assert {names[e].text for e in mlp} == {"mlp"} and {names[e].text for e in logreg} == {"logreg"}
    assert len({names[e].group for e in mlp}) == 1 and len({names[e].group for e in logreg}) == 1
    assert names[mlp[0]].group != names[logreg[0]].group


def test_settings_that_differ_within_one_option_are_shown_and_shared_ones_are_not(make_record, submit, root: Path) -> None:
    english = submit(make_record(seed=0, kind="retrieval", model="bm25", settings={"language": "english", "k1": 0.9}, n_samples=30))
    french = submit(make_record(seed=0, kind="retrieval", model="bm25", settings={"language": "french", "k1": 0.9}, n_samples=30))
    names = names_of(root, "synthetic-retrieval")
    assert names[english.entry_id] == "bm25 · model.language=english"
    assert names[french.entry_id] == "bm25 · model.language=french"


def test_the_runs_name_joins_the_title_and_older_entries_fall_back_to_their_overrides(make_record, submit, root: Path) -> None:
    named = submit(make_record(seed=1, model="mlp", name="wide-net")).entry_id
    names = names_of(root)
    assert names[named] == "mlp · wide-net"

    from medbench.leaderboard.board.schema import Entry

    board = Board(root, "synthetic")
    entry = board.read_entry(named)
    legacy = Entry.model_validate(
        {**entry.model_dump(), "provenance": {**entry.provenance.model_dump(), "choices": {}, "settings": {}, "config_sha256": None,
                                              "name": "", "overrides": ["model=logreg", "model.C=0.5", "seed=4"]}}
    )
    assert name_entries({"legacy": legacy})["legacy"].title == "logreg"
    pair = name_entries({"a": legacy, "b": legacy.model_copy(update={"provenance": legacy.provenance.model_copy(update={"overrides": ["model=logreg", "model.C=2", "seed=4"]})})})
    assert (pair["a"].text, pair["b"].text) == ("logreg · model.C=0.5", "logreg · model.C=2")
