"""From a user's patient table to model inputs: column types, missing values, one-hot codes, patient splits.

A hospital table mixes numbers (age, creatinine), categories (sex, ward, ICD chapter) and holes.
Columns are typed as declared, or inferred (numeric when every present value reads as a number);
scikit-learn's `ColumnTransformer` then imputes (median; a `missing` level for categories),
standardises and one-hot codes them, fitted on the training rows only so that nothing of the test
patients leaks into the inputs. When a patient id column is given the split is by patient: all
rows of one patient fall in one split, and the column travels with the predictions so that
intervals resample whole patients.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import numpy as np
import pandas as pd

from medbench.errors import DataError

MISSING_LEVEL = "missing"
# An inferred categorical column with more distinct values than this, nearly one per row, is an
# identifier, a date or free text; one-hot coding it would memorise rows.
MAX_INFERRED_LEVELS = 50


@dataclass(frozen=True)
class ColumnTypes:
    """The feature columns of a table, by how they are coded."""

    numeric: tuple[str, ...]
    categorical: tuple[str, ...]

    @property
    def all(self) -> tuple[str, ...]:
        return self.numeric + self.categorical


def column_types(
    frame: pd.DataFrame,
    excluded: Sequence[str],
    path: Path,
    features: Optional[Sequence[str]] = None,
    numeric: Sequence[str] = (),
    categorical: Sequence[str] = (),
) -> ColumnTypes:
    """Declared types win; the other feature columns are numeric when all their present values are numbers."""
    names = list(features) if features else [c for c in frame.columns if c not in set(excluded)]
    declared = [*numeric, *categorical, *names]
    unknown = [c for c in declared if c not in frame.columns]
    if unknown:
        raise DataError(f"{path}: unknown column(s) {unknown}; the file has {list(frame.columns)}")
    both = sorted(set(numeric) & set(categorical))
    if both:
        raise DataError(f"{path}: column(s) {both} declared both numeric and categorical")
    names = list(dict.fromkeys([*names, *numeric, *categorical]))
    numeric_out, categorical_out = [], []
    for name in names:
        if name in numeric:
            _numbers(frame[name], name, path)
            numeric_out.append(name)
        elif name in categorical or not _reads_as_numbers(frame[name]):
            if name not in categorical:
                _check_inferred_category(frame[name], name, path)
            categorical_out.append(name)
        else:
            numeric_out.append(name)
    if not names:
        raise DataError(f"{path}: no feature columns left after excluding {list(excluded)}")
    return ColumnTypes(tuple(numeric_out), tuple(categorical_out))


def _reads_as_numbers(column: pd.Series) -> bool:
    if pd.api.types.is_bool_dtype(column) or pd.api.types.is_numeric_dtype(column):
        return True
    present = column.dropna()
    return bool(len(present)) and pd.to_numeric(present, errors="coerce").notna().all()


def _numbers(column: pd.Series, name: str, path: Path) -> np.ndarray:
    values = pd.to_numeric(column.astype(object).where(column.notna(), np.nan), errors="coerce")
    bad = values.isna() & column.notna()
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise DataError(
            f"{path}: column {name!r} is declared numeric but row {row + 1} holds {column.iloc[row]!r}; "
            "fix the value or declare the column in task.data.categorical_columns"
        )
    return values.to_numpy(dtype=np.float64)


def _check_inferred_category(column: pd.Series, name: str, path: Path) -> None:
    levels = column.dropna().nunique()
    if levels > MAX_INFERRED_LEVELS and levels > 0.5 * len(column):
        raise DataError(
            f"{path}: column {name!r} has {levels} distinct non-numeric values in {len(column)} rows (an id, a date "
            "or free text?); list it in task.data.drop_columns, or in task.data.categorical_columns to one-hot code it"
        )


def encode_features(frame: pd.DataFrame, types: ColumnTypes, train_rows: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """Impute, standardise and one-hot code the feature columns; every statistic from `train_rows` only."""
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    table = pd.DataFrame(index=frame.index)
    for name in types.numeric:  # checked by column_types: every present value reads as a number
        table[name] = pd.to_numeric(frame[name].astype(object), errors="coerce").astype(np.float64)
    for name in types.categorical:
        # Plain objects with NaN holes: the layout SimpleImputer and OneHotEncoder expect for text
        # levels, whatever pandas dtype (object, str, category, string) the column came in.
        column = frame[name]
        table[name] = pd.Series(
            [np.nan if pd.isna(value) else str(value) for value in column], index=frame.index, dtype=object
        )
    transformer = ColumnTransformer(
        [
            ("numeric", make_pipeline(SimpleImputer(strategy="median", keep_empty_features=True), StandardScaler()), list(types.numeric)),
            (
                "categorical",
                make_pipeline(
                    SimpleImputer(strategy="constant", fill_value=MISSING_LEVEL),
                    OneHotEncoder(handle_unknown="ignore", sparse_output=False),
                ),
                list(types.categorical),
            ),
        ],
        verbose_feature_names_out=False,
    )
    transformer.fit(table.iloc[train_rows])
    features = np.asarray(transformer.transform(table), dtype=np.float32)
    return features, [str(name) for name in transformer.get_feature_names_out()]


def patient_split(
    patients: np.ndarray, val_fraction: float, test_fraction: float, seed: int
) -> dict[str, np.ndarray]:
    """Row indices of train, val and test with every patient's rows in one split (seeded)."""
    from sklearn.model_selection import GroupShuffleSplit

    if not 0 < test_fraction < 1 or not 0 <= val_fraction < 1 or val_fraction + test_fraction >= 1:
        raise DataError(f"split fractions val={val_fraction}, test={test_fraction} must be in [0, 1) with val + test < 1")
    rows = np.arange(len(patients))
    if len(np.unique(patients)) < 3:
        raise DataError(f"a split by patient needs at least three patients; the table has {len(np.unique(patients))}")
    rest, test = next(GroupShuffleSplit(n_splits=1, test_size=test_fraction, random_state=seed).split(rows, groups=patients))
    if val_fraction == 0:
        return {"train": np.sort(rest), "val": np.array([], dtype=int), "test": np.sort(test)}
    inner = GroupShuffleSplit(n_splits=1, test_size=val_fraction / (1 - test_fraction), random_state=seed)
    train, val = next(inner.split(rest, groups=patients[rest]))
    return {"train": np.sort(rest[train]), "val": np.sort(rest[val]), "test": np.sort(test)}
