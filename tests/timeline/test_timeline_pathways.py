"""Care pathways: counted by subject from the index on, repeats collapsed, small cells suppressed; the page and the command."""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import polars as pl

from medbench.data.timeline.meds import CODE, SUBJECT, TIME, VALUE, as_events
from medbench.leaderboard.views.pathways import pathway_page
from medbench.data.timeline.pathways import NO_STEP, pathways

START = datetime(2020, 1, 1)


def timelines(counts: dict[tuple[str, ...], int], sex: str = "F") -> pl.DataFrame:
    """`counts[steps]` subjects each with an index diagnosis and then `steps` a week apart (each step given twice: a refill)."""
    rows, subject = [], 0
    for steps, n in counts.items():
        for _ in range(n):
            rows += [(subject, START - timedelta(days=30), f"GENDER:{sex}"), (subject, START - timedelta(days=30), "RxNorm:before-index"), (subject, START, "SNOMED:index")]
            for k, step in enumerate(steps):
                rows += [(subject, START + timedelta(days=7 * (k + 1)), step), (subject, START + timedelta(days=7 * (k + 1), hours=1), step)]
            subject += 1
    return as_events(pl.DataFrame(rows, schema={SUBJECT: pl.Int64, TIME: pl.Datetime("us"), CODE: pl.String}, orient="row").with_columns(pl.lit(None, pl.Float32).alias(VALUE)))


def test_pathways_count_subjects_collapse_refills_and_suppress_small_cells() -> None:
    events = timelines({("RxNorm:a", "RxNorm:b"): 7, ("RxNorm:b",): 5, ("RxNorm:c", "RxNorm:a"): 4, (): 6})
    result = pathways(events, ["SNOMED:index"], ["RxNorm:*"], length=2, min_patients=5)
    shown = dict(zip(result.table["pathway"], result.table["n_patients"]))
    assert shown == {"RxNorm:a → RxNorm:b": 7, NO_STEP: 6, "RxNorm:b": 5}
    assert result.n_patients == 22 and result.suppressed == 1 and result.suppressed_patients == 4
    first = result.table.filter(pl.col("pathway") == "RxNorm:a → RxNorm:b")["median_days"].item().to_list()
    assert first == [7.0, 7.0]
    page = pathway_page(result.summary(), "pathways", source="a planted cohort")
    assert "RxNorm:c" not in page and "RxNorm:before-index" not in page and "data:image/png;base64," in page


def test_subgroup_cells_under_k_and_those_that_subtraction_recovers_are_hidden() -> None:
    # a: 6 women, 2 men (8 shown overall); b: 3 women, 8 men (11). Hiding the 2 alone would let
    # 8 - 6 give it back: its partner in the row is hidden too, and so on until no cell is pinned.
    women = timelines({("RxNorm:a",): 6, ("RxNorm:b",): 3})
    men = timelines({("RxNorm:a",): 2, ("RxNorm:b",): 8}, sex="M").with_columns(pl.col(SUBJECT) + 100)
    summary = pathways(as_events(pl.concat([women, men])), ["SNOMED:index"], ["RxNorm:*"], length=1, min_patients=5, subgroups=["sex"]).summary()
    assert {row.pathway: row.n_patients for row in summary.rows} == {"RxNorm:b": 11, "RxNorm:a": 8}
    (sex,) = summary.subgroups
    assert [(level.level, level.n_patients) for level in sex.levels] == [("F", 9), ("M", 10)]
    assert sex.cells == [] and sex.hidden_cells == 4

    more = timelines({("RxNorm:a",): 30, ("RxNorm:b",): 20, ("RxNorm:c",): 12})
    men = timelines({("RxNorm:a",): 25, ("RxNorm:b",): 2, ("RxNorm:c",): 9}, sex="M").with_columns(pl.col(SUBJECT) + 1000)
    (sex,) = pathways(as_events(pl.concat([more, men])), ["SNOMED:index"], ["RxNorm:*"], length=1, min_patients=5, subgroups=["sex"]).summary().subgroups
    cells = {(cell.level, cell.pathway): cell.n_patients for cell in sex.cells}
    assert ("M", "RxNorm:b") not in cells and ("F", "RxNorm:b") not in cells  # the 2 and its row partner
    assert cells[("F", "RxNorm:a")] == 30 and sex.hidden_cells >= 3  # and a column partner, so M's size gives nothing back
    assert all(n >= 5 for n in cells.values())


def test_pathways_command_writes_a_page(synthea_folder: Path, tmp_path: Path, cli_env: dict) -> None:
    def medbench(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "medbench", "timeline", *args], capture_output=True, text=True, env=cli_env, timeout=120)

    page = tmp_path / "pathways.html"
    done = medbench("pathways", str(synthea_folder), "--from", "synthea", "--index", "SNOMED:59621000", "--steps", "RxNorm:*", "SNOMED:*", "--subgroup", "sex", "--out", str(page), "--csv", str(tmp_path / "pathways.csv"))
    assert done.returncode == 0, done.stderr
    assert "suppressed" in done.stdout and 'id="pathways-table"' in page.read_text() and 'id="pathways-sex"' in page.read_text()
    lines = (tmp_path / "pathways.csv").read_text().splitlines()
    assert lines[0] == "subgroup,level,pathway,n_patients,share,median_days_between_steps" and any(line.startswith("sex,") for line in lines)
    assert all(int(line.split(",")[3]) >= 5 for line in lines[1:])
    small = medbench("pathways", str(synthea_folder), "--from", "synthea", "--index", "SNOMED:59621000", "--steps", "RxNorm:*", "--min-patients", "3", "--out", str(tmp_path / "y.html"))
    assert small.returncode == 2 and "min_patients >= 5" in small.stderr and not (tmp_path / "y.html").exists()
    bad = medbench("pathways", str(synthea_folder), "--from", "synthea", "--index", "NOPE:1", "--steps", "RxNorm:*", "--out", str(tmp_path / "x.html"))
    assert bad.returncode == 2 and "no subject has an index event" in bad.stderr and not (tmp_path / "x.html").exists()
