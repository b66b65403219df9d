"""Text tasks end to end from a fresh folder: generated notes, records without raw text, per-language metrics."""

from __future__ import annotations

import pytest

from medbench.engine.run import run


def test_tfidf_run_on_generated_notes(compose_config) -> None:
    record = run(compose_config("experiment=text_tfidf_logreg"))
    metrics = record.metrics()
    assert metrics.values["macro_auroc"].value > 0.9 and metrics.values["accuracy"].value > 0.75
    predictions = record.predictions()
    assert set(predictions.columns) == {"sample_id", "target", "prediction", "language"} | {f"score_{k}" for k in range(4)}
    assert predictions["sample_id"].str.startswith("note-").all()  # ids, never the note itself
    assert set(predictions["language"]) == {"fr", "en"}


def test_user_file_through_clinical_notes_task(compose_config, notes_file, rows_of) -> None:
    rows = rows_of({" cardiologie": 16, "neurologie ": 16, "pneumologie": 16, "rare": 3, "rarissime": 3})
    for row in rows:  # words that give the class away, so the baseline has something to learn
        row["text"] += " " + {"c": "souffle systolique", "n": "déficit moteur", "p": "dyspnée", "r": "prurit"}[row["label"].strip()[0]]
    path = notes_file(rows, ".jsonl")
    record = run(compose_config("task=clinical_notes", "model=tfidf_logreg", f"task.data.path={path}", "task.data.id_column=id"))
    assert record.complete
    assert record.manifest.dataset.source.endswith("classes ['cardiologie', 'neurologie', 'other', 'pneumologie'])")
    assert record.metrics().values["macro_auroc"].value > 0.9
    assert "Œdème" not in record.predictions().to_csv()


def test_missing_path_is_a_config_error(compose_config) -> None:
    from medbench.errors import ConfigError

    with pytest.raises(ConfigError, match="task.data.path"):
        run(compose_config("task=clinical_notes", "model=tfidf_logreg"))


def test_tfidf_logistic_regression_learns_multilabel_notes_one_label_at_a_time(compose_config, notes_file) -> None:
    words = {"cardiologie": "souffle systolique", "pneumologie": "dyspnée sifflante", "neurologie": "déficit moteur"}
    combos = [["cardiologie"], ["pneumologie"], ["neurologie"], ["cardiologie", "pneumologie"], ["pneumologie", "neurologie"]]
    rows = [
        {"id": f"{i:04d}", "text": f"Note {i}: patient vu ce jour, " + ", ".join(words[label] for label in combo), "label": "|".join(combo)}
        for i, combo in enumerate(combo for _ in range(16) for combo in combos)
    ]
    path = notes_file(rows)
    cfg = compose_config("task=clinical_notes", "task.kind=multilabel", "model=tfidf_logreg", f"task.data.path={path}", "task.data.id_column=id")
    record = run(cfg)
    assert record.complete, record.manifest.failure
    assert record.manifest.protocol.primary == "macro_auroc" and "subset_accuracy" in record.manifest.protocol.metrics
    assert record.metrics().values["macro_auroc"].value > 0.9
    assert {f"score_{k}" for k in range(3)} <= set(record.predictions().columns)


def test_two_notes_files_default_to_their_own_names_and_boards(compose_config, notes_file, rows_of, tmp_path) -> None:
    from medbench.leaderboard.folder.store import board_names
    from medbench.leaderboard.folder.submit import submit_run

    rows = rows_of({"cardiologie": 12, "neurologie": 12, "pneumologie": 12})
    for row in rows:
        row["text"] += {"c": " souffle systolique", "n": " déficit moteur", "p": " dyspnée"}[row["label"][0]]
    paths = [notes_file(rows, name="operative reports"), notes_file(rows[::-1], ".jsonl", name="french_mcq.v2")]
    records = [run(compose_config("task=clinical_notes", "model=tfidf_logreg", f"task.data.path='{path}'", "task.data.id_column=id")) for path in paths]
    assert [record.protocol.name for record in records] == ["operative_reports", "french_mcq"]
    for record in records:
        submit_run(tmp_path / "boards", record.path, submitter="tester")
    assert board_names(tmp_path / "boards") == ["french_mcq", "operative_reports"]
    assert compose_config("task=clinical_notes", "task.data.path=/a/b.csv", "task.name=mine").task.name == "mine"
