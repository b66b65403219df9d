"""Submission: what an entry holds, what is refused and why, and what a repeat does."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from medbench.io import sha256_hex
from medbench.leaderboard.store import Board
from medbench.leaderboard.submit import FailedRun, SubmissionRefused
from medbench.io import sha256_file
from medbench.record import MANIFEST_FILE, PREDICTIONS_FILE, read_record


def test_first_submission_creates_the_board_from_the_record(make_record, submit, root: Path) -> None:
    run_dir = make_record(seed=1)
    result = submit(run_dir)
    board = Board(root, "synthetic")
    spec = board.spec()
    record = read_record(run_dir)
    assert result.added and result.baseline and spec.baseline == result.entry_id
    assert (spec.task, spec.task_version, spec.dataset_fingerprint) == (
        "synthetic", "1.0", record.manifest.dataset.fingerprint
    )
    assert spec.protocol == record.protocol and spec.primary == "auroc"
    path = board.entry_path(result.entry_id)
    assert sha256_hex(path.read_bytes()) == result.entry_id
    entry = board.read_entry(result.entry_id)
    assert entry.metrics == record.metrics().values
    assert entry.provenance.run_id == record.run_id and entry.provenance.submitter == "tester"
    assert entry.provenance.predictions_sha256 == record.predictions_sha256()
    stored = board.predictions_path(record.predictions_sha256())
    assert sha256_file(stored) == record.predictions_sha256()


def test_an_entry_holds_no_per_sample_data(make_record, submit, root: Path) -> None:
    result = submit(make_record(seed=1))
    text = Board(root, "synthetic").entry_path(result.entry_id).read_text()
    assert "s00001" not in text  # sample ids stay in the predictions store
    assert set(json.loads(text)) == {
        "schema_version", "board", "protocol", "dataset_fingerprint", "n_samples", "metrics", "provenance",
    }


def test_the_same_run_twice_is_recognised_not_added(make_record, submit, root: Path) -> None:
    run_dir = make_record(seed=1)
    first, second = submit(run_dir), submit(run_dir)
    assert first.added and not second.added and second.entry_id == first.entry_id
    assert len(Board(root, "synthetic").entry_ids()) == 1


def test_failed_run_is_refused_as_failed(make_record, submit) -> None:
    with pytest.raises(FailedRun, match="the run failed"):
        submit(make_record(seed=1, failed=True))


def test_record_without_predictions_is_refused_naming_the_file(make_record, submit, root: Path) -> None:
    run_dir = make_record(seed=1)
    (run_dir / PREDICTIONS_FILE).unlink()
    with pytest.raises(SubmissionRefused, match=PREDICTIONS_FILE):
        submit(run_dir)
    assert not Board(root, "synthetic").exists()


def test_schema_invalid_manifest_is_refused(make_record, submit) -> None:
    run_dir = make_record(seed=1)
    manifest = json.loads((run_dir / MANIFEST_FILE).read_text())
    del manifest["seed"]
    (run_dir / MANIFEST_FILE).write_text(json.dumps(manifest))
    with pytest.raises(SubmissionRefused, match="seed"):
        submit(run_dir)


def test_cli_reports_each_refusal_and_skips_failed_runs_on_request(make_record, cli) -> None:
    good, failed = make_record(seed=1), make_record(seed=2, failed=True)
    refused = cli("submit", str(good), str(failed))
    assert refused.returncode == 2
    assert f"submitted {good}" in refused.stdout and f"refused {failed}: " in refused.stdout
    skipped = cli("submit", "--skip-failed", str(good), str(failed))
    assert skipped.returncode == 0, skipped.stdout + skipped.stderr
    assert f"already on board synthetic: {good}" in skipped.stdout and f"skipped {failed}" in skipped.stdout
