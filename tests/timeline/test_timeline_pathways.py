"""Care pathways: counted by subject from the index on, repeats collapsed, small cells suppressed; the page and the command."""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import polars as pl

from medbench.data.timeline.meds import CODE, SUBJECT, TIME, VALUE, as_events
from medbench.data.timeline.pathway_report import pathway_page
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
    page = pathway_page(result, "pathways")
    assert "RxNorm:c" not in page and "RxNorm:before-index" not in page and "data:image/png;base64," in page


def test_subgroup_cells_under_k_are_suppressed() -> None:
    women = timelines({("RxNorm:a",): 6, ("RxNorm:b",): 3})
    men = timelines({("RxNorm:a",): 2, ("RxNorm:b",): 8}, sex="M").with_columns(pl.col(SUBJECT) + 100)
    result = pathways(as_events(pl.concat([women, men])), ["SNOMED:index"], ["RxNorm:*"], length=1, min_patients=5, subgroup="sex")
    cells = {(g, p): n for g, p, n, _ in result.by_subgroup.iter_rows()}
    assert cells == {("F", "RxNorm:a"): 6, ("M", "RxNorm:b"): 8}


def test_pathways_command_writes_a_page(synthea_folder: Path, tmp_path: Path, cli_env: dict) -> None:
    def medbench(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "medbench", "timeline", *args], capture_output=True, text=True, env=cli_env, timeout=120)

    page = tmp_path / "pathways.html"
    done = medbench("pathways", str(synthea_folder), "--from", "synthea", "--index", "SNOMED:59621000", "--steps", "RxNorm:*", "SNOMED:*", "--subgroup", "sex", "--out", str(page))
    assert done.returncode == 0, done.stderr
    assert "suppressed" in done.stdout and "<table>" in page.read_text()
    bad = medbench("pathways", str(synthea_folder), "--from", "synthea", "--index", "NOPE:1", "--steps", "RxNorm:*", "--out", str(tmp_path / "x.html"))
    assert bad.returncode == 2 and "no subject has an index event" in bad.stderr and not (tmp_path / "x.html").exists()
