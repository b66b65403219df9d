"""Where task kinds are registered: a kind's name and the module that declares its spec.

Kept to plain strings so that validating a protocol (at start-up of every command) imports
nothing; a kind's module is imported the first time something asks for its spec.
"""

from __future__ import annotations

import importlib
from functools import cache
from typing import TYPE_CHECKING, Optional

from medbench.errors import ConfigError

if TYPE_CHECKING:
    from medbench.tasks.kind import Classes, TaskKind

# Each module defines `KIND`, a :class:`medbench.tasks.kind.TaskKind`.
KIND_MODULES: dict[str, str] = {
    "binary": "medbench.tasks.binary",
    "multiclass": "medbench.tasks.multiclass",
    "multilabel": "medbench.tasks.multilabel",
    "retrieval": "medbench.tasks.retrieval",
    "survival": "medbench.tasks.survival",
    "regression": "medbench.tasks.regression",
    "forecasting": "medbench.tasks.forecasting",
}


def check_kind(name: str) -> str:
    """`name` if it is a registered kind; ConfigError listing the known ones otherwise."""
    if name not in KIND_MODULES:
        raise ConfigError(f"task.kind: unknown task kind {name!r}; known kinds: {', '.join(sorted(KIND_MODULES))}")
    return name


@cache
def get_kind(name: str) -> "TaskKind":
    """The spec of task kind `name`, importing its module on first use."""
    return importlib.import_module(KIND_MODULES[check_kind(name)]).KIND


def classes_of(name: Optional[str]) -> Optional["Classes"]:
    """The class layout of kind `name`; None when no kind is named (left to the data), it is unknown, or it does not classify."""
    return get_kind(name).classes if name in KIND_MODULES else None


def score_count(name: Optional[str], n_classes: int) -> int:
    """How many scores (network outputs) a classifier of kind `name` gives per sample for `n_classes`.

    One, class 1's, for a kind that scores one class of two (binary); one per class or label for the
    others, two classes included; with no classification kind named, one when there are two classes.
    """
    classes = classes_of(name)
    single = classes.single_score if classes is not None else n_classes == 2
    return 1 if single else n_classes


def classification_kinds() -> tuple[str, ...]:
    """The registered kinds that classify (have a class layout), for messages that list them."""
    return tuple(name for name in KIND_MODULES if classes_of(name) is not None)
