"""Fixtures of the adversarial suite: a partner's notes file with one patient's name in it, a
committee store (SQLite) with a board and a submitter, the folder-board fixtures (synthetic
records, a board root), and helpers."""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

import pytest

from medbench.leaderboard.committee.store import CommitteeStore, User
from medbench.testing import synthetic
from tests.leaderboard.conftest import make_record, root, runs_dir, submit  # noqa: F401 (fixtures for the board attacks)

# A name and a date that appear in one note only: the kind of n-gram that must never leave.
RARE_NAME = "Zebulon Quartermaine"
RARE_DATE = "1961-04-17"
WORDS = {
    "cardiology": "douleur thoracique angor troponine coronarographie stent infarctus palpitations".split(),
    "orthopedics": "fracture femur plâtre ostéosynthèse entorse genou hanche prothèse".split(),
    "neurology": "céphalée migraine épilepsie AVC aphasie hémiparésie IRM convulsion".split(),
}
COMMON = "patient examen clinique antécédents traitement suivi consultation".split()


def write_notes(path: Path, n_per_class: int = 40, seed: int = 0) -> Path:
    """A CSV of notes (id, text, label); note-0000 names a patient and a birth date."""
    import pandas as pd

    rng = random.Random(seed)
    rows = []
    for label, words in WORDS.items():
        for _ in range(n_per_class):
            text = " ".join(rng.choice(words + COMMON) for _ in range(12))
            rows.append({"note_id": f"note-{len(rows):04d}", "text": text, "label": label})
    rows[0]["text"] += f" {RARE_NAME} né le {RARE_DATE}"
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


def files_holding(folder: Path, needle: str) -> list[Path]:
    """Every file under `folder` whose bytes contain `needle` (binary files included)."""
    data = needle.encode("utf-8")
    return [p for p in folder.rglob("*") if p.is_file() and data in p.read_bytes()]


@pytest.fixture
def notes_csv(tmp_path: Path) -> Path:
    return write_notes(tmp_path / "partner_notes.csv")


@pytest.fixture
def notes_overrides(notes_csv: Path) -> list[str]:
    """A text run on the notes file: TF-IDF + logistic regression, fast."""
    return [
        "model=tfidf_logreg",
        "task=clinical_notes",
        f"task.data.path={notes_csv}",
        "task.data.id_column=note_id",
        "task.metrics=[macro_auroc,accuracy]",
        "task.primary_metric=macro_auroc",
        "task.subgroup_columns=[]",
    ]


BOARD = "synthetic"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[CommitteeStore]:
    opened = CommitteeStore(f"sqlite:///{tmp_path / 'committee.db'}", tmp_path / "server.ed25519")
    yield opened
    opened.close()


@pytest.fixture
def alice(store: CommitteeStore, tmp_path: Path) -> tuple[User, str]:
    """A submitter of team A on a board of the hospital's synthetic record (seed 0)."""
    from medbench.leaderboard.committee.board_admin import create_board_from_record

    admin, _ = store.create_user("root", "admin", None, None)
    create_board_from_record(store, synthetic.write_record(tmp_path / "runs", seed=0), BOARD, daily_quota=2, actor=admin)
    return store.create_user("alice", "submitter", "A", admin)


@pytest.fixture
def client(store: CommitteeStore):
    from fastapi.testclient import TestClient

    from medbench.leaderboard.committee.app import create_app

    with TestClient(create_app(store)) as opened:
        yield opened
