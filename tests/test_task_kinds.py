"""Task kinds are specs looked up in one registry; statistics stay a numpy/scipy leaf."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from medbench.errors import ConfigError
from medbench.metrics.registry import known_names
from medbench.records.protocol import Protocol
from medbench.tasks.registry import KIND_MODULES, get_kind

PACKAGE = Path(__file__).resolve().parents[1] / "medbench"


@pytest.mark.parametrize("name", sorted(KIND_MODULES))
def test_every_registered_kind_declares_its_spec_and_metrics(name: str) -> None:
    kind = get_kind(name)
    assert kind.name == name and kind.output_description
    assert known_names(name), f"{kind.metrics_module} registers no metric for {name}"


def test_an_unknown_kind_is_refused_naming_the_known_ones() -> None:
    with pytest.raises(ConfigError, match="unknown task kind 'ordinal'; known kinds: .*binary"):
        get_kind("ordinal")
    with pytest.raises(ValueError, match="unknown task kind 'ordinal'"):
        Protocol(name="t", version="1", kind="ordinal", metrics=("x",), primary="x")


def test_stats_imports_nothing_else_of_medbench() -> None:
    for path in sorted((PACKAGE / "stats").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [alias.name for alias in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                assert not name.startswith("medbench.") or name.startswith("medbench.stats"), f"{path.name} imports {name}"


def test_classification_kinds_declare_their_class_layout_and_the_others_none() -> None:
    layouts = {name: get_kind(name).classes for name in KIND_MODULES}
    binary, multiclass, multilabel = layouts.pop("binary"), layouts.pop("multiclass"), layouts.pop("multilabel")
    assert (binary.exclusive, binary.single_score, binary.activation) == (True, True, "sigmoid")
    assert (multiclass.exclusive, multiclass.single_score, multiclass.activation) == (True, False, "softmax")
    assert (multilabel.exclusive, multilabel.single_score, multilabel.activation) == (False, False, "sigmoid")
    assert all(classes is None for classes in layouts.values())
