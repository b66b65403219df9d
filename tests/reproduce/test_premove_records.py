"""A record and a bundle made before the package became layers (commit 529dbcb) still read, score and reproduce.

tests/fixtures/premove/ holds the default run (breast_cancer, `debug=fast seed=3`) as the code of
529dbcb wrote it, and `medbench export --zip` of it: scikit-learn's shipped WDBC data only. They
name `medbench.data.*`, `medbench.models.*` and `medbench.callbacks` `_target_`s, which the move
kept (persisted names); nothing in them names a module that moved, so no alias is needed.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from medbench.cli import main
from medbench.evaluation.scoring import record_outputs, score_outputs
from medbench.records.record import read_record
from medbench.reproduce.outcome import read_reproduction

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "premove"
RECORD = Path("runs") / "breast_cancer" / "b0ad29bb6dadd497"


@pytest.fixture
def premove_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the fixtures under `tmp_path`, with MEDBENCH_ROOT pointing there."""
    root = tmp_path / "root"
    shutil.copytree(FIXTURES, root)
    monkeypatch.setenv("MEDBENCH_ROOT", str(root))
    return root


def test_an_old_record_reads_and_scores_to_its_stored_metrics(premove_root: Path) -> None:
    record = read_record(premove_root / RECORD)
    stored = record.metrics()
    rescored = score_outputs(record_outputs(record), record.manifest.protocol)
    assert set(rescored.values) == set(stored.values) == {"auroc", "accuracy", "sensitivity", "specificity", "brier"}
    for name, value in stored.values.items():
        assert rescored.values[name].value == value.value


def test_an_old_bundle_passes_the_check(premove_root: Path) -> None:
    assert main(["export", "--check", str(premove_root / "bundle.zip")]) == 0


@pytest.mark.slow
@pytest.mark.parametrize(("target", "kind"), [(RECORD, "record"), (Path("bundle.zip"), "bundle")])
def test_an_old_record_and_bundle_reproduce_with_matching_metrics(premove_root: Path, target: Path, kind: str) -> None:
    assert main(["reproduce", str(premove_root / target)]) == 0
    (path,) = sorted((premove_root / "runs" / "_reproductions").glob("*/reproduction.json"))
    reproduction = read_reproduction(path)
    assert reproduction.status == "match" and reproduction.target_kind == kind
    assert reproduction.same_run_id and reproduction.original_run_id == "b0ad29bb6dadd497"
    stored = read_record(FIXTURES / RECORD).metrics().values
    assert {c.name for c in reproduction.metrics} == set(stored)
    assert all(c.difference == 0 and c.within_tolerance for c in reproduction.metrics)
    assert reproduction.predictions_identical
