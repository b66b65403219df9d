"""Care pathways travel with a timeline run: kept in its record, carried by its board entry, shown on the
board's page (top sequences, figure) and in its bundle report, with no cell under k patients and no subject id."""

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
    assert 'id="pathways-figure"' in section and f"From entry <span class=\"mono\">{entry_id[:12]}" in section
    assert f"{summary.suppressed} pathways of {summary.suppressed_patients} patients suppressed" in section
    # Only aggregates: every pathway is made of the declared step codes, and no sample (subject@time) is named.
    assert all(p == NO_STEP or all(step.startswith("RxNorm:") for step in p.split(ARROW)) for p in shown)
    assert not any(sample in page for sample in record.splits()["test"])
    assert "subject" not in re.sub(r"base64,[^'\"]*", "", section)

    bundle = export_bundle(record.path, tmp_path / "bundle").path  # runs check_bundle on the way
    assert "Care pathways of the" in (bundle / "report.html").read_text()


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
