"""Files as hospitals export them: pandas indexes, `;` and latin-1, broken lines, holes, label lists."""

from __future__ import annotations

import json
import logging

import numpy as np
import pandas as pd
import pytest

from medbench.data.tables import read_table
from medbench.data.text import TextDataModule
from medbench.errors import DataError


def loaded(path, **kwargs) -> TextDataModule:
    module = TextDataModule(path=str(path), **kwargs)
    module.setup()
    return module


def test_csv_written_with_its_pandas_index_reads(tmp_path, rows_of) -> None:
    path = tmp_path / "notes.csv"
    pd.DataFrame(rows_of({"a": 10, "b": 10})).to_csv(path)  # index=True: the header starts with ","
    assert open(path, encoding="utf-8").readline().startswith(",")
    module = loaded(path, id_column="id")
    assert sum(len(module.split(name)) for name in ("train", "val", "test")) == 20
    assert list(read_table(path).columns) == ["id", "text", "label", "language"]


def test_semicolons_and_latin1_are_sniffed(tmp_path) -> None:
    path = tmp_path / "export.csv"
    frame = pd.DataFrame({"id": ["007", "010"], "text": ["fièvre; toux à l'effort", "céphalées"], "label": ["a", "b"]})
    frame.to_csv(path, sep=";", index=False, encoding="latin-1")
    read = read_table(path, strings=True)
    assert list(read.columns) == list(frame.columns)
    assert read["text"].tolist() == frame["text"].tolist()  # accents intact
    assert read["id"].tolist() == frame["id"].tolist()  # leading zeros intact


def test_a_broken_line_is_named_with_what_to_do(tmp_path) -> None:
    path = tmp_path / "notes.csv"
    path.write_text("text,label\nfine,a\nnot, quoted,b\n", encoding="utf-8")
    with pytest.raises(DataError) as error:
        read_table(path)
    message = str(error.value)
    assert str(path) in message and "line 3" in message and "quot" in message
    assert "\n" not in message and "DatasetGenerationError" not in message


def test_empty_texts_are_refused_with_the_option_to_drop(tmp_path, rows_of, caplog) -> None:
    rows = rows_of({"a": 10, "b": 10})
    rows[2]["text"], rows[5]["text"] = "", "   "
    path = tmp_path / "notes.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    with pytest.raises(DataError, match=r"'text' has 2 row\(s\) with an empty or missing text \(row 3\).*incomplete_rows=drop"):
        loaded(path)
    with caplog.at_level(logging.WARNING):
        module = loaded(path, incomplete_rows="drop")
    assert sum(len(module.split(name)) for name in ("train", "val", "test")) == 18
    assert "dropped 2 of 20 rows" in caplog.text


def test_missing_labels_are_dropped_and_counted(tmp_path, rows_of, caplog) -> None:
    rows = rows_of({"a": 10, "b": 10})
    rows[0]["label"] = None
    path = tmp_path / "notes.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    with pytest.raises(DataError, match="missing or empty label"):
        loaded(path)
    with caplog.at_level(logging.WARNING):
        module = loaded(path, incomplete_rows="drop")
    assert sum(len(module.split(name)) for name in ("train", "val", "test")) == 19
    assert "1 with a missing label" in caplog.text


@pytest.mark.parametrize("encode", [json.dumps, "|".join], ids=["json-list", "pipe"])
def test_multilabel_texts_read_label_lists(tmp_path, rows_of, encode) -> None:
    rows = rows_of({"x": 40})
    sets = [["cardio"], ["pneumo"], ["cardio", "pneumo"], []]
    for i, row in enumerate(rows):
        row["label"] = encode(sets[i % 4])
    path = tmp_path / "notes.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    module = loaded(path, kind="multilabel", id_column="id")
    assert module.info().class_names == ["cardio", "pneumo"]
    assert module.info().network_kwargs["num_outputs"] == 2
    targets = np.concatenate([module.split(name).targets for name in ("train", "val", "test")])
    assert targets.shape == (40, 2)
    assert targets.sum(axis=0).tolist() == [20, 20]
    assert (targets.sum(axis=1) == 0).sum() == 10  # "no finding" rows keep an empty set


def test_multilabel_lists_from_parquet(tmp_path, rows_of) -> None:
    rows = rows_of({"x": 20})
    for i, row in enumerate(rows):
        row["label"] = ["a", "b"][: 1 + i % 2]
    path = tmp_path / "notes.parquet"
    pd.DataFrame(rows).to_parquet(path, index=False)
    module = loaded(path, kind="multilabel")
    targets = np.concatenate([module.split(name).targets for name in ("train", "val", "test")])
    assert targets.sum(axis=0).tolist() == [20, 10]
