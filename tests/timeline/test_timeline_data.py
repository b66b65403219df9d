"""MEDS reading and writing, the Synthea and OMOP converters, and `medbench timeline convert`."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from medbench.data.timeline.meds import CODE, SUBJECT, TIME, assign_splits, read_meds, write_meds
from medbench.data.timeline.omop import omop_events, read_omop_folder
from medbench.data.timeline.synthea import read_synthea_folder, synthea_events
from medbench.errors import DataError


def test_generated_cohort_is_deterministic_and_has_every_synthea_table(synthea_folder: Path, tmp_path: Path) -> None:
    from medbench.data.timeline.generate import simulate, write_synthea

    again = write_synthea(simulate(300, seed=0), tmp_path / "again")
    names = sorted(p.name for p in synthea_folder.glob("*.csv"))
    assert names == sorted(f"{t}.csv" for t in ("patients", "encounters", "conditions", "medications", "procedures", "observations", "careplans", "immunizations"))
    assert all((synthea_folder / name).read_bytes() == (again / name).read_bytes() for name in names)


def test_synthea_conversion_keeps_vocabularies_values_and_encounters(synthea_folder: Path) -> None:
    events, ids = synthea_events(read_synthea_folder(synthea_folder))
    assert events.columns == [SUBJECT, TIME, CODE, "numeric_value"] and ids.height == 300
    vocabularies = set(events[CODE].str.split(":").list.first().unique().to_list())
    assert {"SNOMED", "RxNorm", "LOINC", "CVX", "ENCOUNTER", "ENCOUNTER_END", "GENDER", "MEDS_BIRTH"} <= vocabularies
    bmi = events.filter(pl.col(CODE) == "LOINC:39156-5")["numeric_value"]
    assert bmi.null_count() == 0 and 10 < bmi.mean() < 40
    assert events.filter(pl.col(CODE) == "ENCOUNTER:inpatient").height == events.filter(pl.col(CODE) == "ENCOUNTER_END:inpatient").height > 0
    patients = pl.read_csv(synthea_folder / "patients.csv")
    assert events.filter(pl.col(CODE) == "MEDS_DEATH").height == patients["DEATHDATE"].is_not_null().sum()


def test_omop_conversion_gives_the_same_codes_as_synthea(synthea_folder: Path, omop_folder: Path) -> None:
    synthea, _ = synthea_events(read_synthea_folder(synthea_folder))
    omop = omop_events(read_omop_folder(omop_folder))
    for code in ("SNOMED:59621000", "RxNorm:860975", "LOINC:8480-6", "ENCOUNTER_END:inpatient", "MEDS_DEATH", "GENDER:F"):
        assert omop.filter(pl.col(CODE) == code).height == synthea.filter(pl.col(CODE) == code).height > 0, code
    inpatient = [frame.filter(pl.col(CODE) == "ENCOUNTER:inpatient").sort([SUBJECT, TIME])[TIME] for frame in (synthea, omop)]
    assert inpatient[0].equals(inpatient[1])


def test_omop_without_concept_table_keeps_concept_ids(omop_folder: Path, tmp_path: Path) -> None:
    tables = read_omop_folder(omop_folder)
    del tables["concept"]
    codes = omop_events(tables)[CODE]
    assert codes.str.starts_with("OMOP:").any() and not codes.str.starts_with("SNOMED:").any()


def test_meds_round_trip_and_splits(synthea_folder: Path, tmp_path: Path) -> None:
    events, _ = synthea_events(read_synthea_folder(synthea_folder))
    splits = assign_splits(events[SUBJECT].unique().to_numpy(), 0.15, 0.25, seed=0)
    write_meds(events, splits, tmp_path / "meds", dataset_name="generated")
    back, back_splits = read_meds(tmp_path / "meds")
    assert back.equals(events) and back_splits.sort(SUBJECT).equals(splits.sort(SUBJECT))
    on_disk = pl.read_parquet(tmp_path / "meds/metadata/subject_splits.parquet")
    assert set(on_disk["split"].unique()) == {"train", "tuning", "held_out"}
    with pytest.raises(DataError, match="not empty"):
        write_meds(events, splits, tmp_path / "meds", dataset_name="again")


def test_meds_schema_matches_the_meds_package(tmp_path: Path, synthea_folder: Path) -> None:
    import meds
    import pyarrow.parquet as pq

    events, _ = synthea_events(read_synthea_folder(synthea_folder))
    write_meds(events, assign_splits(events[SUBJECT].unique().to_numpy(), 0.15, 0.25, 0), tmp_path / "m", "g")
    schema = pq.read_schema(tmp_path / "m/data/0.parquet")
    for name in ("subject_id", "time", "code", "numeric_value"):
        assert schema.field(name).type == meds.DataSchema.schema().field(name).type


def test_convert_command_writes_meds_and_refuses_bad_input(synthea_folder: Path, omop_folder: Path, tmp_path: Path, cli_env: dict) -> None:
    def medbench(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "medbench", "timeline", *args], capture_output=True, text=True, env=cli_env, timeout=120)

    done = medbench("convert", "--from", "synthea", str(synthea_folder), str(tmp_path / "meds"))
    assert done.returncode == 0, done.stderr
    assert read_meds(tmp_path / "meds")[1].height == 300
    bad = medbench("convert", "--from", "omop", str(synthea_folder), str(tmp_path / "other"))
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1 and "person" in bad.stderr
    assert not (tmp_path / "other").exists()
