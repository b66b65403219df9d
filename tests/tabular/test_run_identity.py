"""The run id hashes the user's data file by content: a copy elsewhere keeps it, an edit changes it, old ids still count."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from medbench.config.identity import legacy_run_id_of, run_id_of

TABLE = ("task=tabular_csv", "model=logreg", "task.data.target_column=stroke", "task.data.positive_label=yes",
         "task.data.drop_columns=[days,died,los_days]", "task.data.patient_column=Id", "task.confidence.n_resamples=50")


def test_a_copy_elsewhere_keeps_the_run_id_and_an_edit_changes_it(cohort_csv, compose_config, tmp_path: Path) -> None:
    path = cohort_csv()
    copy = tmp_path / "partner" / "cohort.csv"
    copy.parent.mkdir()
    shutil.copy(path, copy)
    here = run_id_of(compose_config(*TABLE, f"task.data.path={path}"))
    assert run_id_of(compose_config(*TABLE, f"task.data.path={copy}")) == here
    copy.write_text(copy.read_text().replace("yes", "no", 1))
    assert run_id_of(compose_config(*TABLE, f"task.data.path={copy}")) != here
    # Tasks without a data file keep the ids their records already have.
    assert run_id_of(compose_config()) == legacy_run_id_of(compose_config())


def test_a_record_made_under_the_path_hashing_id_is_still_reused(cohort_csv, compose_config, monkeypatch: pytest.MonkeyPatch) -> None:
    import medbench.engine.run as engine

    cfg = compose_config(*TABLE, f"task.data.path={cohort_csv()}")
    with monkeypatch.context() as old_medbench:
        old_medbench.setattr(engine, "run_id_of", legacy_run_id_of)
        old = engine.run(cfg)
    assert old.run_id == legacy_run_id_of(cfg) != run_id_of(cfg)
    again = engine.run(cfg)
    assert again.path == old.path and again.manifest.timing.started_at == old.manifest.timing.started_at
