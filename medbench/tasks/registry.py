"""Where task kinds are registered: a kind's name and the module that declares its spec.

Kept to plain strings so that validating a protocol (at start-up of every command) imports
nothing; a kind's module is imported the first time something asks for its spec.
"""

from __future__ import annotations

import importlib
from functools import cache
from typing import TYPE_CHECKING

from medbench.errors import ConfigError

if TYPE_CHECKING:
    from medbench.tasks.kind import TaskKind

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
