"""MEDS datasets on disk: the event table (`data/*.parquet`) and the subject splits, read and written with polars.

MEDS (the Medical Event Data Standard) stores one row per measurement: `subject_id` (int64),
`time` (timestamp, null for static facts), `code` (`VOCABULARY:code`), `numeric_value` (float32,
null when there is none). `metadata/subject_splits.parquet` assigns each subject to `train`,
`tuning` or `held_out`. The column names, types and split names come from the `meds` package;
every source medbench reads (Synthea, OMOP, generated) becomes this one frame.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path
from typing import Optional

import numpy as np
import polars as pl

from medbench.errors import DataError

SUBJECT, TIME, CODE, VALUE = "subject_id", "time", "code", "numeric_value"
EVENT_SCHEMA = {SUBJECT: pl.Int64, TIME: pl.Datetime("us"), CODE: pl.String, VALUE: pl.Float32}
SPLIT = "split"
# medbench's split names -> MEDS's.
MEDS_SPLITS = {"train": "train", "val": "tuning", "test": "held_out"}
BIRTH, DEATH = "MEDS_BIRTH", "MEDS_DEATH"
DATA_DIR, SPLITS_FILE, DATASET_FILE = "data", "metadata/subject_splits.parquet", "metadata/dataset.json"


def empty_events() -> pl.DataFrame:
    return pl.DataFrame(schema=EVENT_SCHEMA)


def as_events(frame: pl.DataFrame) -> pl.DataFrame:
    """`frame` with exactly the MEDS event columns and types, sorted by subject and time (static rows first)."""
    missing = [name for name in EVENT_SCHEMA if name not in frame.columns and name != VALUE]
    if missing:
        raise DataError(f"a MEDS event table needs columns {list(EVENT_SCHEMA)}; missing {missing}")
    if VALUE not in frame.columns:
        frame = frame.with_columns(pl.lit(None, dtype=pl.Float32).alias(VALUE))
    events = frame.select([pl.col(name).cast(dtype) for name, dtype in EVENT_SCHEMA.items()])
    if events[SUBJECT].null_count() or events[CODE].null_count():
        raise DataError("a MEDS event table has rows without subject_id or code")
    return events.sort([SUBJECT, TIME], nulls_last=False, maintain_order=True)


def assign_splits(subjects: np.ndarray, val_fraction: float, test_fraction: float, seed: int) -> pl.DataFrame:
    """A seeded assignment of each subject to train/val/test (medbench names), the same for every source."""
    if not 0 < test_fraction < 1 or not 0 <= val_fraction < 1 or val_fraction + test_fraction >= 1:
        raise DataError(f"split fractions val={val_fraction}, test={test_fraction} must be in [0, 1) with val + test < 1")
    unique = np.unique(np.asarray(subjects, dtype=np.int64))
    if len(unique) < 3:
        raise DataError(f"a split by subject needs at least three subjects; the timeline has {len(unique)}")
    order = np.random.default_rng(seed).permutation(len(unique))
    n_test, n_val = max(1, round(test_fraction * len(unique))), round(val_fraction * len(unique))
    names = np.full(len(unique), "train", dtype=object)
    names[order[:n_test]] = "test"
    names[order[n_test:n_test + n_val]] = "val"
    return pl.DataFrame({SUBJECT: unique, SPLIT: names.astype(str)})


def write_meds(events: pl.DataFrame, splits: pl.DataFrame, destination: Path, dataset_name: str) -> Path:
    """Write a MEDS dataset at `destination` (which must not exist or be empty), atomically: all or nothing."""
    import meds

    destination = Path(destination)
    if destination.exists() and any(destination.iterdir()):
        raise DataError(f"{destination} exists and is not empty; choose a new folder for the MEDS dataset")
    destination.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{destination.name}.", dir=destination.parent))
    try:
        (staging / DATA_DIR).mkdir()
        (staging / "metadata").mkdir()
        _write_events(as_events(events), staging / DATA_DIR / "0.parquet")
        meds_names = splits.with_columns(pl.col(SPLIT).replace_strict(MEDS_SPLITS))
        meds_names.write_parquet(staging / SPLITS_FILE)
        metadata = {"dataset_name": dataset_name, "etl_name": "medbench", "meds_version": meds.__version__}
        (staging / DATASET_FILE).write_text(json.dumps(metadata, indent=2) + "\n")
        if destination.exists():
            destination.rmdir()
        staging.rename(destination)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return destination


def _write_events(events: pl.DataFrame, path: Path) -> None:
    """The events in the exact arrow types of the `meds` package's DataSchema (plain `string` codes)."""
    import meds
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = pa.schema([meds.DataSchema.schema().field(name) for name in EVENT_SCHEMA])
    pq.write_table(events.to_arrow().cast(schema), path)


def read_meds(root: Path) -> tuple[pl.DataFrame, Optional[pl.DataFrame]]:
    """The events of the MEDS dataset at `root` and its subject splits (medbench names), or None without a splits file."""
    root = Path(root)
    shards = sorted((root / DATA_DIR).glob("**/*.parquet"))
    if not shards:
        raise DataError(f"{root}: no MEDS data (expected {DATA_DIR}/*.parquet); convert a source with `medbench timeline convert`")
    try:
        events = as_events(pl.concat([pl.read_parquet(shard) for shard in shards], how="diagonal_relaxed"))
    except (pl.exceptions.PolarsError, OSError) as error:
        raise DataError(f"{root}: unreadable MEDS data: {error}") from None
    splits_file = root / SPLITS_FILE
    if not splits_file.exists():
        return events, None
    splits = pl.read_parquet(splits_file)
    to_medbench = {meds_name: name for name, meds_name in MEDS_SPLITS.items()}
    unknown = sorted(set(splits[SPLIT].unique().to_list()) - set(to_medbench))
    if unknown:
        raise DataError(f"{splits_file}: unknown split name(s) {unknown}; MEDS splits are {sorted(to_medbench)}")
    return events, splits.select(pl.col(SUBJECT).cast(pl.Int64), pl.col(SPLIT).replace_strict(to_medbench))
