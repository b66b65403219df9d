"""A Synthea-like pair of tables written per test: patients and their conditions, joined as a user would."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest


def synthea_like(folder: Path, n_patients: int = 240, seed: int = 0) -> tuple[Path, Path]:
    """`patients.csv` (id, birth year, sex, race with holes) and `conditions.csv` (one row per diagnosis)."""
    rng = np.random.default_rng(seed)
    patients = pd.DataFrame({
        "Id": [f"p{i:04d}" for i in range(n_patients)],
        "BIRTHYEAR": rng.integers(1930, 2000, n_patients).astype(float),
        "GENDER": rng.choice(["M", "F"], n_patients),
        "RACE": rng.choice(["white", "black", "asian", None], n_patients, p=[0.6, 0.2, 0.1, 0.1]),
    })
    patients.loc[rng.random(n_patients) < 0.05, "BIRTHYEAR"] = np.nan
    conditions = pd.DataFrame([
        {"PATIENT": pid, "DESCRIPTION": rng.choice(["Hypertension", "Diabetes", "Asthma"])}
        for pid in patients["Id"]
        for _ in range(rng.integers(0, 5))
    ])
    patients.to_csv(folder / "patients.csv", index=False)
    conditions.to_csv(folder / "conditions.csv", index=False)
    return folder / "patients.csv", folder / "conditions.csv"


def join_as_a_user_would(patients_csv: Path, conditions_csv: Path, seed: int = 0) -> pd.DataFrame:
    """One row per patient: demographics, counts of each condition, and outcomes that depend on them."""
    rng = np.random.default_rng(seed + 1)
    patients, conditions = pd.read_csv(patients_csv), pd.read_csv(conditions_csv)
    counts = conditions.pivot_table(index="PATIENT", columns="DESCRIPTION", aggfunc="size", fill_value=0)
    table = patients.merge(counts, left_on="Id", right_index=True, how="left")
    table[list(counts.columns)] = table[list(counts.columns)].fillna(0)
    age = (2025 - table["BIRTHYEAR"]).fillna(60)
    logit = 0.08 * (age - 60) + 1.0 * table["Diabetes"] + 0.6 * table["Hypertension"] - 0.8
    table["stroke"] = np.where(rng.random(len(table)) < 1 / (1 + np.exp(-logit)), "yes", "no")
    hazard = np.exp(0.05 * (age - 60) + 0.6 * table["Diabetes"]) / 1500
    event_time, censor_time = rng.exponential(1 / hazard), rng.uniform(400, 3000, len(table))
    table["days"] = np.maximum(np.minimum(event_time, censor_time).round(), 1)
    table["died"] = (event_time <= censor_time).astype(int)
    table["los_days"] = np.round(2 + 0.05 * (age - 60) + 1.5 * table["Diabetes"] + rng.gamma(2.0, 1.0, len(table)), 1)
    return table


@pytest.fixture
def cohort_csv(tmp_path: Path) -> Callable[..., Path]:
    """`cohort_csv(**to_csv_options)` → the joined table written by pandas (by default with its index)."""

    def write(name: str = "cohort.csv", **options) -> Path:
        table = join_as_a_user_would(*synthea_like(tmp_path))
        path = tmp_path / name
        if path.suffix == ".parquet":
            table.to_parquet(path)
        else:
            table.to_csv(path, **options)
        return path

    return write
