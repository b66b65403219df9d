"""Care pathways travel with a timeline run: kept in its record, carried by its board entry (a folder board) or
the board's spec (a committee board, from the hospital's record), shown on the board's page (top sequences, figure,
split by subgroup), downloadable as CSV and drawn in its bundle report, with no cell under k patients and no subject id."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import ValidationError

from medbench.records.pathways import ARROW, NO_STEP, SMALL_CELL, PathwaySummary
from tests.timeline.conftest import N_SUBJECTS

ROW = re.compile(r"<tr><td>([^<]*)</td><td class=\"num\" data-v=\"(\d+)\">")


def test_a_timeline_board_page_shows_the_test_cohorts_pathways_without_small_cells(
    compose_config, synthea_folder: Path, tmp_path: Path
) -> None:
    from medbench.engine.run import run
    from medbench.leaderboard.folder.ranking import build_site
    from medbench.leaderboard.folder.submit import submit_run
    from medbench.records.record import PATHWAYS_FILE
    from medbench.transfer.export import export_bundle

    record = run(compose_config(
        "task=timeline_readmission", "model=logreg", "task.data.source=synthea", f"task.data.path={synthea_folder}",
        f"task.data.n_subjects={N_SUBJECTS}",
    ))
    summary = record.pathways()
    assert (record.path / PATHWAYS_FILE).is_file() and summary is not None and summary.rows
    test_subjects = {sample.split("@")[0] for sample in record.splits()["test"]}
    assert summary.n_patients <= len(test_subjects)
    assert sum(row.n_patients for row in summary.rows) + summary.suppressed_patients == summary.n_patients

    entry_id = submit_run(tmp_path / "boards", record.path, submitter="tester").entry_id
    page = (build_site(tmp_path / "boards", tmp_path / "site").parent / "timeline_readmission" / "index.html").read_text()
    section = page[page.index('<section id="pathways">'):]
    section = section[: section.index("</section>")]
    shown = {pathway: int(n) for pathway, n in ROW.findall(section)}
    assert shown == {row.pathway.replace(">", "&gt;"): row.n_patients for row in summary.rows[:10]}
    assert min(shown.values()) >= SMALL_CELL
    assert 'id="pathways-figure"' in section and f"From entry {entry_id[:12]}" in section
    assert 'id="pathways-sex"' in section and 'id="pathways-age_band"' in section
    ages = section[section.index('id="pathways-age_band"'):]
    assert ages.index("&lt;40 (n=") < ages.index("40-64 (n=") < ages.index("65+ (n=")  # in their order, through the entry's canonical JSON
    assert f"{summary.suppressed} pathways of {summary.suppressed_patients} patients suppressed" in section
    # Only aggregates: every pathway is made of the declared step codes, and no sample (subject@time) is named.
    assert all(p == NO_STEP or all(step.startswith("RxNorm:") for step in p.split(ARROW)) for p in shown)
    assert not any(sample in page for sample in record.splits()["test"])
    assert "subject" not in re.sub(r"base64,[^'\"]*", "", section)

    downloaded = (tmp_path / "site" / "timeline_readmission" / "timeline_readmission.pathways.csv").read_text().splitlines()
    assert len(downloaded) == 1 + len(summary.rows) + sum(len(group.cells) for group in summary.subgroups)
    assert all(int(line.split(",")[3]) >= SMALL_CELL for line in downloaded[1:])
    assert all(cell.n_patients >= SMALL_CELL for group in summary.subgroups for cell in group.cells)

    bundle = export_bundle(record.path, tmp_path / "bundle").path  # runs check_bundle on the way
    assert "Care pathways of the" in (bundle / "report.html").read_text()

    _committee_board_shows_the_hidden_cohorts_pathways(record.path, summary, tmp_path)


def _committee_board_shows_the_hidden_cohorts_pathways(run_dir: Path, summary: PathwaySummary, tmp_path: Path) -> None:
    """The same record as the hospital's: a committee board keeps its pathways in the spec and serves them."""
    from fastapi.testclient import TestClient

    from medbench.leaderboard.committee.app import create_app
    from medbench.leaderboard.committee.board_admin import create_board_from_record
    from medbench.leaderboard.committee.store import CommitteeStore

    store = CommitteeStore(f"sqlite:///{tmp_path / 'committee.db'}", tmp_path / "server.ed25519")
    try:
        admin, _ = store.create_user("root", "admin", None, None)
        create_board_from_record(store, run_dir, "readmission", daily_quota=5, actor=admin)
        create_board_from_record(store, run_dir, "readmission_plain", daily_quota=5, actor=admin, pathways=False)
        assert store.spec("readmission").pathways == summary and store.spec("readmission_plain").pathways is None
        with TestClient(create_app(store)) as http:
            page = http.get("/boards/readmission", headers={"Accept": "text/html"}).text
            assert "hidden test cohort" in page and 'id="pathways-table"' in page
            assert 'href="/api/boards/readmission/readmission.pathways.csv"' in page
            served = http.get("/api/boards/readmission/readmission.pathways.csv")
            assert served.status_code == 200 and served.text.splitlines()[0].startswith("subgroup,level,pathway")
            assert 'id="pathways"' not in http.get("/boards/readmission_plain", headers={"Accept": "text/html"}).text
            assert http.get("/api/boards/readmission_plain/readmission_plain.pathways.csv").status_code == 404
    finally:
        store.close()


def test_a_summary_with_a_cell_under_k_patients_is_refused_wherever_it_is_read() -> None:
    row = {"steps": ["RxNorm:1"], "n_patients": SMALL_CELL - 1, "share": 0.1, "median_days": [3.0]}
    summary = {
        "index_codes": ["X:1"], "step_codes": ["RxNorm:*"], "length": 1, "min_patients": SMALL_CELL,
        "n_patients": 40, "suppressed": 1, "suppressed_patients": 1, "rows": [row],
    }
    with pytest.raises(ValidationError, match="small cells must be suppressed"):
        PathwaySummary.model_validate(summary)
    with pytest.raises(ValidationError, match="greater than or equal to 5"):
        PathwaySummary.model_validate({**summary, "min_patients": 2, "rows": []})
