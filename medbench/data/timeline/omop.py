"""OMOP CDM tables as MEDS events, in the same codes as the Synthea converter's.

A folder holds one CSV or parquet file per table (`person`, `visit_occurrence`,
`condition_occurrence`, `drug_exposure`, `procedure_occurrence`, `measurement`, `observation`,
`death`, and optionally `concept`). With a `concept` table, a concept becomes
`<vocabulary_id>:<concept_code>` (`SNOMED:44054006`); without one, `OMOP:<concept_id>`. Visits
become `ENCOUNTER:<class>` / `ENCOUNTER_END:<class>` with the classes of the Synthea converter
(inpatient, emergency, ambulatory; OMOP has no wellness class, office visits are ambulatory),
person rows `MEDS_BIRTH` and `GENDER:<F|M>`, death `MEDS_DEATH`.
Times are the `_datetime` column where filled, else the `_date`. `generated_omop` writes such a
folder from the generated cohort, so the same task runs on both layouts.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import polars as pl

from medbench.data.timeline.meds import BIRTH, CODE, DEATH, SUBJECT, TIME, VALUE, as_events
from medbench.errors import DataError

# OMOP standard visit concepts -> the encounter classes of medbench's timelines.
VISIT_CLASSES = {9201: "inpatient", 262: "inpatient", 9203: "emergency", 9202: "ambulatory", 581477: "ambulatory"}
GENDERS = {8532: "F", 8507: "M"}
# table: (concept column, time column stem, value column or None)
EVENT_TABLES = {
    "condition_occurrence": ("condition_concept_id", "condition_start", None),
    "drug_exposure": ("drug_concept_id", "drug_exposure_start", None),
    "procedure_occurrence": ("procedure_concept_id", "procedure", None),
    "measurement": ("measurement_concept_id", "measurement", "value_as_number"),
    "observation": ("observation_concept_id", "observation", "value_as_number"),
}
TABLES = ("person", "visit_occurrence", *EVENT_TABLES, "death", "concept")


def read_omop_folder(folder: Path) -> dict[str, pl.DataFrame]:
    """The OMOP tables present in `folder` (`<table>.csv` or `<table>.parquet`); `person` is required."""
    folder = Path(folder)
    tables = {}
    for name in TABLES:
        for suffix, reader in ((".parquet", pl.read_parquet), (".csv", lambda path: pl.read_csv(path, infer_schema=False))):
            path = folder / f"{name}{suffix}"
            if path.exists():
                tables[name] = reader(path)
                break
    if "person" not in tables:
        raise DataError(f"{folder}: no person.csv or person.parquet; an OMOP CDM folder holds one file per table")
    return tables


def _moment(table: pl.DataFrame, stem: str) -> pl.Expr:
    """The `<stem>_datetime` column where filled, else `<stem>_date`, as a datetime."""
    candidates = []
    for column in (f"{stem}_datetime", f"{stem}_date"):
        if column in table.columns:
            value = pl.col(column)
            if table.schema[column] == pl.String:
                value = pl.coalesce(
                    value.str.to_datetime("%Y-%m-%d %H:%M:%S", strict=False, time_unit="us"),
                    value.str.to_datetime("%Y-%m-%dT%H:%M:%S", strict=False, time_unit="us"),
                    value.str.to_date("%Y-%m-%d", strict=False).cast(pl.Datetime("us")),
                )
            candidates.append(value.cast(pl.Datetime("us")))
    if not candidates:
        raise DataError(f"OMOP table lacks {stem}_datetime and {stem}_date; it has {table.columns}")
    return pl.coalesce(candidates)


def _concept_code(concepts: Optional[pl.DataFrame], column: str) -> tuple[pl.Expr, Optional[pl.DataFrame]]:
    """How a concept id column becomes a code; with a concept table, the frame to join on `_concept`."""
    if concepts is None:
        return pl.concat_str(pl.lit("OMOP:"), pl.col(column).cast(pl.String)), None
    lookup = concepts.select(
        pl.col("concept_id").cast(pl.Int64).alias("_concept"),
        pl.concat_str(pl.col("vocabulary_id"), pl.lit(":"), pl.col("concept_code")).alias("_code"),
    )
    return pl.coalesce(pl.col("_code"), pl.concat_str(pl.lit("OMOP:"), pl.col(column).cast(pl.String))), lookup


def omop_events(tables: dict[str, pl.DataFrame]) -> pl.DataFrame:
    """MEDS events of an OMOP CDM extract (subject_id = person_id)."""
    person = tables["person"].with_columns(pl.col("person_id").cast(pl.Int64).alias(SUBJECT))
    if "birth_datetime" in person.columns and person["birth_datetime"].null_count() < person.height:
        birth = _moment(person, "birth")
    else:
        birth = pl.datetime(pl.col("year_of_birth").cast(pl.Int32), pl.col("month_of_birth").cast(pl.Int32).fill_null(1), pl.col("day_of_birth").cast(pl.Int32).fill_null(1))
    gender = pl.col("gender_concept_id").cast(pl.Int64).replace_strict(GENDERS, default=None, return_dtype=pl.String)
    parts = [
        person.select(SUBJECT, birth.alias(TIME), pl.lit(BIRTH).alias(CODE)),
        person.filter(gender.is_not_null()).select(SUBJECT, birth.alias(TIME), pl.concat_str(pl.lit("GENDER:"), gender).alias(CODE)),
    ]
    if "visit_occurrence" in tables:
        visits = tables["visit_occurrence"].with_columns(pl.col("person_id").cast(pl.Int64).alias(SUBJECT))
        concept = pl.col("visit_concept_id").cast(pl.Int64)
        visit_class = concept.replace_strict(VISIT_CLASSES, default=None, return_dtype=pl.String).fill_null(
            pl.concat_str(pl.lit("visit_"), concept.cast(pl.String))
        )
        for prefix, stem in (("ENCOUNTER:", "visit_start"), ("ENCOUNTER_END:", "visit_end")):
            parts.append(visits.select(SUBJECT, _moment(visits, stem).alias(TIME), pl.concat_str(pl.lit(prefix), visit_class).alias(CODE)))
    concepts = tables.get("concept")
    for name, (concept_column, stem, value_column) in EVENT_TABLES.items():
        if name not in tables:
            continue
        table = tables[name].with_columns(pl.col("person_id").cast(pl.Int64).alias(SUBJECT), pl.col(concept_column).cast(pl.Int64))
        code, lookup = _concept_code(concepts, concept_column)
        if lookup is not None:
            table = table.join(lookup, left_on=concept_column, right_on="_concept", how="left")
        value = pl.col(value_column).cast(pl.Float32, strict=False) if value_column and value_column in table.columns else pl.lit(None, dtype=pl.Float32)
        parts.append(table.select(SUBJECT, _moment(table, stem).alias(TIME), code.alias(CODE), value.alias(VALUE)))
    if "death" in tables:
        death = tables["death"].with_columns(pl.col("person_id").cast(pl.Int64).alias(SUBJECT))
        parts.append(death.select(SUBJECT, _moment(death, "death").alias(TIME), pl.lit(DEATH).alias(CODE)))
    events = pl.concat([part.with_columns(pl.col(TIME).cast(pl.Datetime("us"))) for part in parts], how="diagonal_relaxed")
    undated = events.filter(pl.col(TIME).is_null()).height
    if undated:
        raise DataError(f"OMOP extract: {undated} row(s) have no readable date or datetime")
    return as_events(events)


def generated_omop(synthea: dict[str, pl.DataFrame], folder: Path) -> Path:
    """Write the generated cohort (Synthea's tables from :mod:`medbench.data.timeline.generate`) as OMOP CDM parquet files."""
    from medbench.data.timeline.synthea import EVENT_TABLES as SYNTHEA_TABLES
    from medbench.data.timeline.synthea import _moment as synthea_moment

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    people = synthea["patients"].sort("Id").with_row_index("person_id").with_columns(pl.col("person_id").cast(pl.Int64))
    persons = people.select("Id", "person_id")
    coded = {
        "conditions": ("condition_occurrence", "condition_concept_id", "condition_start"),
        "medications": ("drug_exposure", "drug_concept_id", "drug_exposure_start"),
        "procedures": ("procedure_occurrence", "procedure_concept_id", "procedure"),
        "observations": ("measurement", "measurement_concept_id", "measurement"),
    }
    codes = pl.concat([
        synthea[name].select(pl.lit(SYNTHEA_TABLES[name][1]).alias("vocabulary_id"), pl.col("CODE").alias("concept_code"))
        for name in coded
    ]).unique().sort(["vocabulary_id", "concept_code"]).with_row_index("concept_id", offset=2_000_000_000)
    codes = codes.with_columns(pl.col("concept_id").cast(pl.Int64))
    codes.write_parquet(folder / "concept.parquet")
    people.select(
        "person_id",
        pl.col("GENDER").replace_strict({"F": 8532, "M": 8507}, return_dtype=pl.Int64).alias("gender_concept_id"),
        synthea_moment("BIRTHDATE").alias("birth_datetime"),
        synthea_moment("BIRTHDATE").dt.year().alias("year_of_birth"),
    ).write_parquet(folder / "person.parquet")
    people.filter(pl.col("DEATHDATE").is_not_null()).select("person_id", synthea_moment("DEATHDATE").dt.date().alias("death_date")).write_parquet(folder / "death.parquet")
    classes = {"inpatient": 9201, "emergency": 9203, "ambulatory": 9202, "wellness": 581477}
    synthea["encounters"].join(persons, left_on="PATIENT", right_on="Id").select(
        "person_id",
        pl.col("ENCOUNTERCLASS").replace_strict(classes, default=0, return_dtype=pl.Int64).alias("visit_concept_id"),
        synthea_moment("START").alias("visit_start_datetime"),
        synthea_moment("STOP").alias("visit_end_datetime"),
    ).write_parquet(folder / "visit_occurrence.parquet")
    for name, (table, concept_column, stem) in coded.items():
        source = synthea[name].join(persons, left_on="PATIENT", right_on="Id").join(
            codes.filter(pl.col("vocabulary_id") == SYNTHEA_TABLES[name][1]), left_on="CODE", right_on="concept_code"
        )
        columns = ["person_id", pl.col("concept_id").alias(concept_column), synthea_moment(SYNTHEA_TABLES[name][0]).alias(f"{stem}_datetime")]
        if name == "observations":
            columns.append(pl.col("VALUE").cast(pl.Float64, strict=False).alias("value_as_number"))
        source.select(columns).write_parquet(folder / f"{table}.parquet")
    return folder
