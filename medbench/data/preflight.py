"""Check a task's input table against the columns its config names, before torch is imported.

A user's file with a misspelt column should fail in the first seconds, not after torch and
Lightning have loaded (tens of seconds on a busy machine). Only the header is read (a parquet
file's schema); the task's loader reads the rows and checks everything else.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from medbench.errors import DataError


def check_input_table(data: Mapping[str, Any]) -> None:
    """Refuse a `task.data.path` table that lacks a column named by a `*_column`/`*_columns` key.

    Data configs without a `path`, or with a file that is not a table (MedMNIST's .npz), are left
    to their loaders.
    """
    from medbench.data.tables import SUFFIXES, table_columns

    path = data.get("path")
    if not isinstance(path, str) or Path(path).suffix.lower() not in SUFFIXES:
        return
    columns = table_columns(Path(path))
    if columns is None:
        return
    named = {key: value for key, value in data.items() if key.endswith("_column") and isinstance(value, str)}
    for key, values in data.items():
        if key.endswith("_columns") and not isinstance(values, str) and values is not None:
            named.update({f"{key}[{i}]": str(value) for i, value in enumerate(values)})
    missing = [f"task.data.{key}={value}" for key, value in named.items() if value not in columns]
    if missing:
        raise DataError(f"{path}: no column for {', '.join(missing)}; the file has {columns}")
