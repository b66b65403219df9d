"""Where a timeline task's events come from: a MEDS folder, a Synthea or OMOP export converted on the fly, or the generated cohort."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import polars as pl

from medbench.errors import ConfigError, DataError

SOURCES = ("generated", "meds", "synthea", "omop")


def convert(source: str, folder: Path) -> pl.DataFrame:
    """The MEDS events of a Synthea CSV export (`synthea`) or OMOP CDM folder (`omop`)."""
    if source == "synthea":
        from medbench.data.timeline.synthea import read_synthea_folder, synthea_events

        return synthea_events(read_synthea_folder(folder))[0]
    if source == "omop":
        from medbench.data.timeline.omop import omop_events, read_omop_folder

        return omop_events(read_omop_folder(folder))
    raise ConfigError(f"unknown source format {source!r}; convert from synthea or omop")


def generated_events(n_subjects: int, seed: int) -> pl.DataFrame:
    """The generated cohort's events, through the Synthea converter like any export."""
    from medbench.data.timeline.generate import simulate
    from medbench.data.timeline.synthea import synthea_events

    return synthea_events(simulate(n_subjects, seed).frames())[0]


def load_source(source: str, path: Optional[str], n_subjects: int, seed: int) -> tuple[pl.DataFrame, Optional[pl.DataFrame], str]:
    """(events, the dataset's subject splits or None, a description) of `task.data.source`."""
    if source not in SOURCES:
        raise ConfigError(f"task.data.source must be one of {SOURCES}, not {source!r}")
    if source == "generated":
        return generated_events(n_subjects, seed), None, f"generated timelines ({n_subjects} subjects, seed {seed})"
    if not path:
        raise ConfigError(f"task.data.path: set the folder of the {source} data (task.data.source={source})")
    folder = Path(path)
    if not folder.is_dir():
        raise DataError(f"task.data.path: {folder} is not a folder")
    if source == "meds":
        from medbench.data.timeline.meds import read_meds

        events, splits = read_meds(folder)
        return events, splits, f"MEDS dataset {folder.name}"
    return convert(source, folder), None, f"{source} export {folder.name}"
