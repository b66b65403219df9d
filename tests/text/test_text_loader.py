"""The text loader: CSV / JSONL / parquet, label clean-up, splits, and clear errors on bad files."""

from __future__ import annotations

import numpy as np
import pytest

from medbench.data.text import TextDataModule
from medbench.errors import DataError


def loaded(path, **kwargs) -> TextDataModule:
    module = TextDataModule(path=str(path), **kwargs)
    module.setup()
    return module


def all_ids(module: TextDataModule) -> list[str]:
    return sorted(i for name in ("train", "val", "test") for i in module.split(name).ids)


@pytest.mark.parametrize("suffix", [".csv", ".jsonl", ".parquet"])
def test_each_format_keeps_accents_ids_and_metadata(notes_file, rows_of, suffix) -> None:
    rows = rows_of({"cardiologie": 20, "neurologie": 20})
    module = loaded(notes_file(rows, suffix), id_column="id", metadata_columns=["language"])
    by_id = {row["id"]: row["text"] for row in rows}
    test = module.split("test")
    assert all(by_id[sample_id] == text for sample_id, text in zip(test.ids, test.inputs))
    assert all_ids(module) == sorted(by_id)  # "0007" keeps its zeros, even from CSV
    assert "Œdème et céphalées" in test.inputs[0]
    assert list(test.metadata.columns) == ["language"] and len(test.metadata) == len(test)
    assert module.info().class_names == ["cardiologie", "neurologie"]
    assert module.info().network_kwargs == {"num_outputs": 1}


def test_stratified_split_is_seeded(notes_file, rows_of) -> None:
    path = notes_file(rows_of({"a": 30, "b": 10}))
    first, again = loaded(path, split_seed=1), loaded(path, split_seed=1)
    other = loaded(path, split_seed=2)
    assert list(first.split("test").ids) == list(again.split("test").ids)
    assert list(first.split("test").ids) != list(other.split("test").ids)
    assert np.bincount(first.split("test").targets).tolist() == [7, 3]  # 25 % of 40, class proportions kept


def test_labels_are_stripped_mapped_and_rare_classes_grouped(notes_file, rows_of) -> None:
    rows = rows_of({" cardio ": 12, "cardiology": 12, "neurology": 12, "dermatology": 2, "ophthalmology": 2})
    module = loaded(notes_file(rows), label_mapping={"cardio": "cardiology"}, min_class_count=5, kind="multiclass")
    assert module.info().class_names == ["cardiology", "neurology", "other"]
    targets = np.concatenate([module.split(name).targets for name in ("train", "val", "test")])
    assert np.bincount(targets).tolist() == [24, 12, 4]
    assert module.info().network_kwargs == {"num_outputs": 3}


def test_rare_classes_can_be_dropped(notes_file, rows_of) -> None:
    rows = rows_of({"cardiology": 12, "neurology": 12, "dermatology": 2})
    module = loaded(notes_file(rows), min_class_count=5, rare_classes="drop")
    assert module.info().class_names == ["cardiology", "neurology"]
    assert len(all_ids(module)) == 24


def test_positive_label_orders_binary_classes(notes_file, rows_of) -> None:
    module = loaded(notes_file(rows_of({"malin": 10, "bénin": 10})), positive_label="bénin", kind="binary")
    assert module.info().class_names == ["malin", "bénin"]


def test_split_column_is_used_as_given(notes_file, rows_of) -> None:
    rows = rows_of({"a": 10, "b": 10})
    for i, row in enumerate(rows):
        row["split"] = ["train", "train", "Validation", " test "][i % 4]
    module = loaded(notes_file(rows), split_column="split")
    assert [len(module.split(name)) for name in ("train", "val", "test")] == [10, 5, 5]


@pytest.mark.parametrize(
    "edit, options, message",
    [
        (lambda rows: [{k: v for k, v in r.items() if k != "label"} for r in rows], {}, r"missing column\(s\) \['label'\]"),
        (lambda rows: rows, {"text_column": "body"}, r"missing column\(s\) \['body'\].*task.data"),
        (lambda rows: [dict(r, label=" ") if i == 3 else r for i, r in enumerate(rows)], {}, r"empty label \(row 4\)"),
        (lambda rows: [dict(r, split="train" if r["label"] == "a" else "test") for r in rows], {"split_column": "split"},
         r"test classes \['b'\] never occur in the training split"),
        (lambda rows: [dict(r, split="holdout") for r in rows], {"split_column": "split"}, r"value\(s\) \['holdout'\]"),
        (lambda rows: [dict(r, id="same") for r in rows], {"id_column": "id"}, "repeats id 'same'"),
        (lambda rows: [r for r in rows if r["label"] == "a"], {}, r"1 class\(es\) after clean-up"),
        (lambda rows: rows + [dict(rows[0], label="c")], {"kind": "binary"}, "a binary task needs two classes"),
        (lambda rows: rows + [dict(rows[0], id="x", label="c")], {}, "least populated.*raise task.data.min_class_count"),
    ],
)
def test_bad_files_name_the_file_column_and_problem(notes_file, rows_of, edit, options, message) -> None:
    path = notes_file(edit(rows_of({"a": 10, "b": 10})))
    with pytest.raises(DataError, match=message) as error:
        loaded(path, **options)
    assert str(path) in str(error.value)


def test_empty_and_unknown_files(tmp_path) -> None:
    empty = tmp_path / "notes.csv"
    empty.write_text("")
    with pytest.raises(DataError, match="notes.csv: the file is empty"):
        loaded(empty)
    header_only = tmp_path / "header.csv"
    header_only.write_text("text,label\n")
    with pytest.raises(DataError, match="header.csv: the file has no rows"):
        loaded(header_only)
    with pytest.raises(DataError, match="unknown table file type '.xlsx'"):
        (tmp_path / "notes.xlsx").write_text("x")
        loaded(tmp_path / "notes.xlsx")
    with pytest.raises(DataError, match="no such file"):
        loaded(tmp_path / "absent.jsonl")
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"text": "ok", "label": "a"}\n{not json\n')
    with pytest.raises(DataError, match="broken.jsonl: cannot read it as jsonl"):
        loaded(broken)
