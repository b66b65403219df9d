"""Synthea's CSV export as MEDS events: one polars expression per table, no loop over rows.

Codes keep their vocabulary: conditions, procedures and care plans `SNOMED:`, medications
`RxNorm:`, observations `LOINC:` (with the numeric value when the observation has one),
immunizations `CVX:`. Encounters open with `ENCOUNTER:<class>` at their start and close with
`ENCOUNTER_END:<class>` at their stop (`ENCOUNTER_END:inpatient` is a discharge); birth and death
are MEDS's `MEDS_BIRTH` and `MEDS_DEATH`, sex `GENDER:<F|M>` at birth. Subjects are numbered in
the order of their sorted Synthea ids; `subject_ids` keeps the mapping.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import polars as pl

from medbench.data.timeline.meds import BIRTH, CODE, DEATH, SUBJECT, TIME, VALUE, as_events
from medbench.errors import DataError

# table: (the column of its time, vocabulary of its CODE column, whether VALUE may hold a number)
EVENT_TABLES = {
    "conditions": ("START", "SNOMED", False),
    "medications": ("START", "RxNorm", False),
    "procedures": ("START", "SNOMED", False),
    "observations": ("DATE", "LOINC", True),
    "careplans": ("START", "SNOMED", False),
    "immunizations": ("DATE", "CVX", False),
}
REQUIRED = ("patients", "encounters")


def read_synthea_folder(folder: Path) -> dict[str, pl.DataFrame]:
    """The CSV tables of a Synthea export folder, every column as text; `patients` and `encounters` are required."""
    folder = Path(folder)
    if not folder.is_dir():
        raise DataError(f"{folder}: not a folder; point at the `csv` folder of a Synthea export")
    missing = [name for name in REQUIRED if not (folder / f"{name}.csv").exists()]
    if missing:
        raise DataError(f"{folder}: no {', '.join(f'{m}.csv' for m in missing)}; a Synthea export folder holds patients.csv, encounters.csv, ...")
    tables = {}
    for name in (*REQUIRED, *EVENT_TABLES):
        path = folder / f"{name}.csv"
        if path.exists():
            tables[name] = pl.read_csv(path, infer_schema=False)
    return tables


def _moment(column: str) -> pl.Expr:
    """Synthea writes timestamps (`2019-02-17T06:16:17Z`) or dates (`2019-02-17`); both become datetimes."""
    text = pl.col(column).str.strip_chars()
    return pl.coalesce(
        text.str.to_datetime("%Y-%m-%dT%H:%M:%SZ", strict=False, time_unit="us"),
        text.str.to_datetime("%Y-%m-%dT%H:%M:%S%.fZ", strict=False, time_unit="us"),
        text.str.to_date("%Y-%m-%d", strict=False).cast(pl.Datetime("us")),
    )


def _require(table: pl.DataFrame, name: str, columns: tuple[str, ...]) -> None:
    missing = [column for column in columns if column not in table.columns]
    if missing:
        raise DataError(f"Synthea {name}.csv lacks column(s) {missing}; it has {table.columns}")


def synthea_events(tables: Mapping[str, pl.DataFrame]) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(MEDS events, subject id map with columns `source_id`, `subject_id`) of a Synthea export's tables."""
    patients, encounters = tables["patients"], tables["encounters"]
    _require(patients, "patients", ("Id", "BIRTHDATE", "GENDER"))
    _require(encounters, "encounters", ("PATIENT", "START", "STOP", "ENCOUNTERCLASS"))
    ids = patients.select(pl.col("Id").alias("source_id")).unique().sort("source_id").with_row_index(SUBJECT).select(
        "source_id", pl.col(SUBJECT).cast(pl.Int64)
    )
    people = patients.join(ids, left_on="Id", right_on="source_id")
    parts = [
        people.select(SUBJECT, _moment("BIRTHDATE").alias(TIME), pl.lit(BIRTH).alias(CODE)),
        people.select(SUBJECT, _moment("BIRTHDATE").alias(TIME), pl.concat_str(pl.lit("GENDER:"), pl.col("GENDER")).alias(CODE)),
    ]
    if "DEATHDATE" in people.columns:
        parts.append(people.filter(pl.col("DEATHDATE").is_not_null()).select(SUBJECT, _moment("DEATHDATE").alias(TIME), pl.lit(DEATH).alias(CODE)))
    visits = encounters.join(ids, left_on="PATIENT", right_on="source_id")
    encounter_class = pl.col("ENCOUNTERCLASS").str.to_lowercase()
    parts.append(visits.select(SUBJECT, _moment("START").alias(TIME), pl.concat_str(pl.lit("ENCOUNTER:"), encounter_class).alias(CODE)))
    parts.append(visits.select(SUBJECT, _moment("STOP").alias(TIME), pl.concat_str(pl.lit("ENCOUNTER_END:"), encounter_class).alias(CODE)))
    for name, (time_column, vocabulary, numeric) in EVENT_TABLES.items():
        if name not in tables:
            continue
        table = tables[name]
        _require(table, name, ("PATIENT", time_column, "CODE"))
        value = pl.col("VALUE").cast(pl.Float32, strict=False) if numeric and "VALUE" in table.columns else pl.lit(None, dtype=pl.Float32)
        parts.append(
            table.join(ids, left_on="PATIENT", right_on="source_id").select(
                SUBJECT, _moment(time_column).alias(TIME), pl.concat_str(pl.lit(f"{vocabulary}:"), pl.col("CODE")).alias(CODE), value.alias(VALUE)
            )
        )
    events = pl.concat([part.with_columns(pl.col(TIME).cast(pl.Datetime("us"))) for part in parts], how="diagonal_relaxed")
    unparsed = events.filter(pl.col(TIME).is_null()).height
    if unparsed:
        raise DataError(f"Synthea export: {unparsed} event(s) have a date that reads neither as 2019-02-17 nor 2019-02-17T06:16:17Z")
    return as_events(events), ids
