"""`medbench reproduce`: rerun from the stored config, compare, diff, record; refuse what must not run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from medbench.cli import main
from medbench.records.record import MANIFEST_FILE, METRICS_FILE, read_record
from medbench.reproduce.outcome import read_reproduction

pytestmark = pytest.mark.slow


def _reproductions(root: Path) -> list[Path]:
    return sorted((root / "runs" / "_reproductions").glob("*/reproduction.json"))


def test_a_default_run_reproduces_exactly_into_its_own_folder(default_run_dir: Path, tmp_path: Path, capsys) -> None:
    original_manifest = (default_run_dir / MANIFEST_FILE).read_bytes()
    assert main(["reproduce", str(default_run_dir), "--who", "ada"]) == 0
    (path,) = _reproductions(tmp_path)
    reproduction = read_reproduction(path)
    assert reproduction.status == "match" and reproduction.tolerance == 0.0
    assert reproduction.who == "ada" and reproduction.target_kind == "record"
    assert reproduction.same_run_id and reproduction.original_run_id == read_record(default_run_dir).run_id
    assert {c.name for c in reproduction.metrics} == {"auroc", "accuracy", "sensitivity", "specificity", "brier"}
    assert all(c.difference == 0 for c in reproduction.metrics)
    assert reproduction.predictions_identical and reproduction.weights_identical
    # It really reran: a new record, with its own timing, and the original is untouched.
    rerun = read_record(reproduction.reproduction_record)
    assert rerun.path != default_run_dir and rerun.path.is_relative_to(path.parent)
    assert rerun.manifest.timing.started_at != read_record(default_run_dir).manifest.timing.started_at
    assert (default_run_dir / MANIFEST_FILE).read_bytes() == original_manifest
    out = capsys.readouterr().out
    assert "MATCH" in out and "auroc" in out


def test_changed_numbers_are_a_mismatch_and_tolerance_is_configurable(default_run_dir: Path, tmp_path: Path) -> None:
    metrics_path = default_run_dir / METRICS_FILE
    metrics = json.loads(metrics_path.read_text())
    metrics["values"]["auroc"]["value"] += 0.01
    metrics_path.write_text(json.dumps(metrics))
    assert main(["reproduce", str(default_run_dir)]) == 1
    assert main(["reproduce", str(default_run_dir), "--tolerance", "0.02"]) == 0
    first, second = (read_reproduction(p) for p in _reproductions(tmp_path))
    (auroc,) = [c for c in first.metrics if c.name == "auroc"]
    assert first.status == "mismatch" and not auroc.within_tolerance and auroc.difference == pytest.approx(0.01)
    assert second.status == "match" and second.tolerance_reason == "set by the user"


def test_a_dataset_fingerprint_mismatch_stops_before_rerunning(default_run_dir: Path, tmp_path: Path, capsys) -> None:
    manifest_path = default_run_dir / MANIFEST_FILE
    manifest = json.loads(manifest_path.read_text())
    stored = manifest["dataset"]["fingerprint"]
    manifest["dataset"]["fingerprint"] = "0" * 64
    manifest_path.write_text(json.dumps(manifest))
    assert main(["reproduce", str(default_run_dir)]) == 2
    error = capsys.readouterr().err
    assert "0" * 64 in error and stored in error and "nothing was rerun" in error
    assert not (tmp_path / "runs" / "_reproductions").exists()


def test_an_unsafe_stored_config_is_refused_before_anything_runs(default_run_dir: Path, tmp_path: Path, capsys) -> None:
    config_path = default_run_dir / "config.yaml"
    config = yaml.safe_load(config_path.read_text())
    marker = tmp_path / "pwned"
    config["model"]["net"] = {"_target_": "os.system", "_args_": [f"touch {marker}"]}
    config_path.write_text(yaml.safe_dump(config))
    assert main(["reproduce", str(default_run_dir)]) == 2
    assert "model.net._target_" in capsys.readouterr().err
    assert not marker.exists() and not (tmp_path / "runs" / "_reproductions").exists()


def test_a_leaderboard_entry_moves_to_reproduced(default_run_dir: Path, tmp_path: Path) -> None:
    from medbench.leaderboard.folder import audit
    from medbench.leaderboard.board.lifecycle import review_states
    from medbench.leaderboard.folder.store import Board
    from medbench.leaderboard.folder.submit import submit_run

    root = tmp_path / "leaderboards"
    result = submit_run(root, default_run_dir, submitter="grace")
    assert main(["reproduce", result.entry_id[:12], "--who", "ada"]) == 0
    events = audit.read_events(Board(root, result.board).audit_path)
    assert review_states(events)[result.entry_id] == "reproduced"
    last = events[-1]
    assert last.event == "reproduce" and last.actor == "ada" and "match" in last.note
    (path,) = _reproductions(tmp_path)
    link = read_reproduction(path).leaderboard
    assert link is not None and link.entry == result.entry_id and link.event == "reproduce"


def test_an_unknown_target_is_named(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("MEDBENCH_ROOT", str(tmp_path))
    assert main(["reproduce", str(tmp_path / "nope")]) == 2
    assert "nope: no such run folder or bundle" in capsys.readouterr().err
