"""Submission: what an entry holds, what is refused and why, and what a repeat does."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from medbench.io import sha256_file, sha256_hex
from medbench.leaderboard.folder.store import Board
from medbench.leaderboard.board.entries import FailedRun, SubmissionRefused
from medbench.records.record import MANIFEST_FILE, PREDICTIONS_FILE, read_record


def test_first_submission_creates_the_board_from_the_record(make_record, submit, root: Path) -> None:
    run_dir = make_record(seed=1)
    result = submit(run_dir)
    board = Board(root, "synthetic")
    spec = board.spec()
    record = read_record(run_dir)
    assert result.added and not result.baseline and spec.baseline is None  # none until the committee chooses
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
        "schema_version", "board", "protocol", "dataset_fingerprint", "n_samples", "metrics", "provenance", "subgroups",
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


def test_claimed_metrics_are_recomputed_not_trusted(make_record, submit, root: Path) -> None:
    """A dishonest submitter edits metrics.json: the board ranks the predictions' own numbers."""
    from medbench.records.record import METRICS_FILE

    run_dir = make_record(seed=1)
    honest = read_record(run_dir).metrics().values["auroc"]
    metrics = json.loads((run_dir / METRICS_FILE).read_text())
    metrics["values"]["auroc"]["value"] = 0.9999
    (run_dir / METRICS_FILE).write_text(json.dumps(metrics))
    result = submit(run_dir)
    assert Board(root, "synthetic").read_entry(result.entry_id).metrics["auroc"] == honest
    assert result.corrected == {"auroc": (0.9999, honest.value)}


def test_a_board_from_before_the_protocol_says_to_rebuild(make_record, submit, root: Path) -> None:
    from medbench.errors import LeaderboardError

    submit(make_record(seed=1))
    board = Board(root, "synthetic")
    content = json.loads(board.spec_path.read_text())
    protocol = content.pop("protocol")
    content.update(schema_version=1, task=protocol["name"], task_version=protocol["version"], kind="binary")
    board.spec_path.write_text(json.dumps(content))
    with pytest.raises(LeaderboardError, match="older medbench .*resubmitting current records"):
        board.spec()
