"""The board layer both stores share: logs written before it still verify, one agreement rule, and walls between stores."""

from __future__ import annotations

import ast
import math
from pathlib import Path

import pytest

from medbench.evaluation.agreement import agree, difference, disagreeing
from medbench.leaderboard.board.lifecycle import APPROVED, REJECTED, SUBMITTED, review_states
from medbench.leaderboard.committee.signed_log import chain_problems, head_problems
from medbench.leaderboard.board.signing import fingerprint
from medbench.leaderboard.folder import audit
from medbench.records.record import ConfidenceInterval, MetricValue

# Written by the code before the board layer (folder/audit.AuditEvent, committee/signed_log.LogEvent):
# a folder board's audit log, and a committee export's log, head and public key.
DATA = Path(__file__).parent / "data"
PACKAGE = Path(__file__).resolve().parents[2] / "medbench" / "leaderboard"


def test_a_folder_audit_log_written_before_the_board_layer_still_verifies_and_replays() -> None:
    log = DATA / "folder_audit.jsonl"
    assert audit.chain_problems(log) == []
    states = review_states(audit.read_events(log))
    assert sorted(states.values()) == sorted([APPROVED, REJECTED, SUBMITTED])


def test_a_committee_log_written_before_the_board_layer_still_verifies_and_replays() -> None:
    import json

    pem = (DATA / "committee_public_key.pem").read_text()
    lines = (DATA / "committee_log.jsonl").read_bytes().splitlines()
    problems, events, keys = chain_problems(lines, pem)
    head = json.loads((DATA / "committee_head.json").read_bytes())
    assert problems == [] and head_problems(head, events, keys.history, "head.json") == []
    assert [period.fingerprint for period in keys.history] == [fingerprint(pem)]
    assert sorted(review_states(events).values()) == sorted([APPROVED, REJECTED, SUBMITTED])
    edited = lines[:-1] + [lines[-1].replace(b'"note":"reference"', b'"note":"referencE"')]
    assert any("does not match its hash" in problem for problem in chain_problems(edited, pem)[0])


def _metric(value: float, low: float | None = None, high: float | None = None) -> MetricValue:
    ci = ConfidenceInterval(low=low, high=high, level=0.95, method="percentile", n_resamples=10) if low is not None else None
    return MetricValue(value=value, ci=ci)


def test_metrics_agree_on_values_and_interval_bounds_within_one_tolerance() -> None:
    assert difference(_metric(0.8, 0.7, 0.9), _metric(0.8, 0.7, 0.95)) == pytest.approx(0.05)
    assert agree(_metric(0.8, 0.7, 0.9), _metric(0.8 + 1e-12, 0.7, 0.9), 1e-9)
    assert not agree(_metric(0.8, 0.7, 0.9), _metric(0.8, 0.7, 0.9 + 1e-6), 1e-9)
    assert difference(_metric(0.8, 0.7, 0.9), _metric(0.8)) == math.inf  # an interval on one side only
    assert agree(_metric(math.nan), _metric(math.nan), 0.0) and not agree(_metric(math.nan), _metric(0.5), 0.0)
    assert difference(_metric(0.8), None) is None
    assert disagreeing({"a": _metric(1.0), "b": _metric(2.0)}, {"a": _metric(1.0), "c": _metric(3.0)}, 0.0) == ["b", "c"]


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


@pytest.mark.parametrize(
    ("package", "forbidden"),
    [
        ("board", ("medbench.leaderboard.folder", "medbench.leaderboard.committee", "medbench.leaderboard.views")),
        ("views", ("medbench.leaderboard.folder", "medbench.leaderboard.committee")),
        ("folder", ("medbench.leaderboard.committee",)),
        ("committee", ("medbench.leaderboard.folder",)),
    ],
)
def test_the_board_and_views_read_no_store_and_the_stores_never_import_each_other(package: str, forbidden: tuple[str, ...]) -> None:
    found = {
        f"{path.relative_to(PACKAGE)}: {name}"
        for path in (PACKAGE / package).rglob("*.py")
        for name in _imports(path)
        if name.startswith(forbidden)
    }
    assert not found


def test_pure_tiers_do_not_import_the_ranking() -> None:
    assert not any(name.startswith("medbench.leaderboard.board.ranking") for name in _imports(PACKAGE / "board" / "tiers.py"))
