"""The metric registry: every metric a task can name, keyed by (task kind, metric name).

Name grammar
    ``<family>`` or ``<family>@<argument>``. The family says what is measured, the argument
    which variant, and each family declares the one kind of argument it takes:

    * a cut-off ``k`` (positive integer): ``ndcg@10``, ``map@100``; cut-off families also accept
      no argument (the whole ranking: ``ndcg``, ``map``), as trec_eval does;
    * a fraction in (0, 1): ``sensitivity_at_specificity@0.9``, ``specificity_at_sensitivity@0.95``;
    * a bin count: ``ece@15`` (``ece`` alone uses 10 equal-width bins);
    * a class or label index: ``auroc@class=2`` (multiclass), ``auroc@label=0`` (multilabel).

    An unknown name raises :class:`ConfigError` listing the names known for the task kind.

How a metric is computed
    Each task kind has one *preparer* that turns a :class:`TaskOutputs` into :class:`Prepared`:
    the resampling units (samples, or queries for retrieval), their strata and metadata, and the
    arrays the kind's metric functions read. A metric function is then one of two styles:

    * ``per_unit=True``: ``fn(data, argument) -> values`` of shape ``(n_units,)``; the metric is
      their mean (accuracy, Brier score, every retrieval metric per query). Resampling is then a
      matrix product, and the jackknife of BCa is closed-form.
    * ``per_unit=False``: ``fn(data, weights, argument) -> values`` of shape ``(B,)`` where
      ``weights`` is a ``(B, n_units)`` matrix of resampling counts (AUROC, F1, ECE...). The
      point value is the same function with one row of ones, so a metric has exactly one
      implementation and its bootstrap cannot drift from it.

Registering a metric of a new modality (``medbench/metrics/<modality>.py``)::

    from medbench.metrics.registry import Prepared, register, register_preparer

    @register_preparer("survival")
    def prepare(outputs: TaskOutputs) -> Prepared: ...

    @register("survival", "c_index", scale=HIGHER_SHARE)
    def c_index(data, weights, argument): ...   # weights: (B, n_units) -> (B,) values

Every family declares its :class:`~medbench.metrics.direction.Scale` (direction, range, unit, and the
target of a `target` family): a Scale, or a function of the argument for families whose target
depends on it (`coverage@0.9` is best at 0.9). The board's ranking, its arrows and its axes read it.

and name the module as the kind's `metrics_module` (:mod:`medbench.tasks.kind`). Modules are
imported by name only when a task of their kind is scored, so `medbench score` never imports torch
or another modality's code.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Optional

import numpy as np
import pandas as pd

from medbench.errors import ConfigError, DataError
from medbench.metrics.direction import Scale

if TYPE_CHECKING:
    from medbench.tasks.outputs import TaskOutputs

@dataclass(frozen=True)
class Argument:
    """The kind of argument a family takes after ``@``; `parse` raises ValueError on a bad one."""

    template: str
    parse: Callable[[str], Any]
    required: bool


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise ValueError("must be a positive integer")
    return value


def _fraction(text: str) -> float:
    value = float(text)
    if not 0.0 < value < 1.0:
        raise ValueError("must be a fraction strictly between 0 and 1")
    return value


def _indexed(keyword: str) -> Callable[[str], int]:
    def parse(text: str) -> int:
        prefix = f"{keyword}="
        if not text.startswith(prefix):
            raise ValueError(f"must read {keyword}=<index>")
        value = int(text[len(prefix):])
        if value < 0:
            raise ValueError("index must be >= 0")
        return value

    return parse


CUTOFF = Argument("<k>", _positive_int, required=False)
FRACTION = Argument("<fraction>", _fraction, required=True)
OPTIONAL_FRACTION = Argument("<fraction>", _fraction, required=False)
BINS = Argument("<bins>", _positive_int, required=False)
CLASS = Argument("class=<k>", _indexed("class"), required=True)
LABEL = Argument("label=<k>", _indexed("label"), required=True)


@dataclass(frozen=True)
class Prepared:
    """A task's outputs as the metric functions and the resampler of one task kind see them."""

    units: np.ndarray  # ids of the resampling units (sample ids; query ids for retrieval)
    unit_name: str  # "sample", "query"
    data: Any  # what the kind's metric functions read
    strata: Optional[np.ndarray] = None  # a label per unit to stratify the bootstrap by, or None
    metadata: pd.DataFrame = field(default_factory=pd.DataFrame)  # per-unit columns (cluster, subgroups)
    # Classification: test samples per class (positives per label for multilabel), zeros included,
    # so that a class too small to estimate its metrics is named in the record.
    class_sizes: dict[str, int] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.units)


@dataclass(frozen=True)
class Family:
    kind: str
    name: str
    function: Callable[..., np.ndarray]
    argument: Optional[Argument]
    per_unit: bool
    description: str
    scale: Scale | Callable[[Any], Scale]
    # A share of trials (sensitivity: true positives of positives): `proportion(data, argument)` gives
    # (successes, trials), for an exact interval where every resample gives the same value.
    proportion: Optional[Callable[[Any, Any], tuple[float, float]]] = None

    def scale_of(self, argument: Any) -> Scale:
        """The scale of the family's metric with `argument` (None: no argument)."""
        return self.scale if isinstance(self.scale, Scale) else self.scale(argument)

    @property
    def template(self) -> str:
        if self.argument is None:
            return self.name
        if self.argument.required:
            return f"{self.name}@{self.argument.template}"
        return f"{self.name}[@{self.argument.template}]"


@dataclass(frozen=True)
class Metric:
    """One named metric, ready to compute on a :class:`Prepared`."""

    name: str
    family: Family
    argument: Any

    @property
    def per_unit(self) -> bool:
        return self.family.per_unit

    @property
    def scale(self) -> Scale:
        return self.family.scale_of(self.argument)

    def proportion(self, prepared: Prepared) -> Optional[tuple[float, float]]:
        """(successes, trials) when the metric is a share of trials: its family's own, or a mean in [0, 1] of units scoring 0 or 1."""
        if self.family.proportion is not None:
            return self.family.proportion(prepared.data, self.argument)
        if self.per_unit and (self.scale.low, self.scale.high) == (0.0, 1.0):
            values = self.unit_values(prepared)
            if len(values) and np.isin(values, (0.0, 1.0)).all():
                return float(values.sum()), float(len(values))
        return None

    def unit_values(self, prepared: Prepared) -> np.ndarray:
        """The per-unit values whose mean is the metric (only for ``per_unit`` families)."""
        if not self.per_unit:
            raise TypeError(f"{self.name} is not a mean of per-unit values")
        return np.asarray(self.family.function(prepared.data, self.argument), dtype=np.float64)

    def weighted(self, prepared: Prepared, weights: np.ndarray) -> np.ndarray:
        """The metric under each row of resampling counts ``weights`` (B, n_units) -> (B,)."""
        if self.per_unit:
            values = self.unit_values(prepared)
            with np.errstate(invalid="ignore", divide="ignore"):
                return (weights @ values) / weights.sum(axis=1)
        return np.asarray(self.family.function(prepared.data, weights, self.argument), dtype=np.float64)

    def value(self, prepared: Prepared) -> float:
        """The point value on all units."""
        if self.per_unit:
            values = self.unit_values(prepared)
            return float(values.mean()) if len(values) else float("nan")
        return float(self.weighted(prepared, np.ones((1, len(prepared))))[0])


_FAMILIES: dict[str, dict[str, Family]] = {}
_PREPARERS: dict[str, Callable[["TaskOutputs"], Prepared]] = {}


def register(
    kinds: str | tuple[str, ...],
    name: str,
    *,
    scale: Scale | Callable[[Any], Scale],
    argument: Optional[Argument] = None,
    per_unit: bool = False,
    proportion: Optional[Callable[[Any, Any], tuple[float, float]]] = None,
) -> Callable[[Callable[..., np.ndarray]], Callable[..., np.ndarray]]:
    """Decorator: register `function` as metric family `name` of the task kind(s) `kinds`, read on `scale`."""
    kinds = (kinds,) if isinstance(kinds, str) else kinds

    def decorate(function: Callable[..., np.ndarray]) -> Callable[..., np.ndarray]:
        doc = (function.__doc__ or "").strip().splitlines()
        for kind in kinds:
            family = Family(kind, name, function, argument, per_unit, doc[0] if doc else "", scale, proportion)
            _FAMILIES.setdefault(kind, {})[name] = family
        return function

    return decorate


def register_preparer(kind: str) -> Callable[[Callable[["TaskOutputs"], Prepared]], Callable[["TaskOutputs"], Prepared]]:
    """Decorator: register the function that turns a `kind` task's outputs into :class:`Prepared`."""

    def decorate(function: Callable[["TaskOutputs"], Prepared]) -> Callable[["TaskOutputs"], Prepared]:
        _PREPARERS[kind] = function
        return function

    return decorate


def families(kind: str) -> dict[str, Family]:
    """The metric families of `kind`, importing the kind's metrics module on first use."""
    from medbench.tasks.registry import get_kind

    module = get_kind(kind).metrics_module
    if kind not in _FAMILIES:
        importlib.import_module(module)
    return _FAMILIES.get(kind, {})


def known_names(kind: str) -> list[str]:
    return sorted(family.template for family in families(kind).values())


def get_metric(kind: str, name: str) -> Metric:
    """The metric `name` of task kind `kind`; ConfigError naming the known ones otherwise."""
    family_name, _, argument_text = name.partition("@")
    family = families(kind).get(family_name)
    if family is None:
        raise ConfigError(f"unknown metric {name!r} for a {kind} task; known: {', '.join(known_names(kind))}")
    if not argument_text:
        if "@" in name or (family.argument is not None and family.argument.required):
            raise ConfigError(f"metric {name!r} needs an argument: {family.template}")
        return Metric(name, family, None)
    if family.argument is None:
        raise ConfigError(f"metric {name!r}: {family_name!r} takes no argument (write {family_name!r})")
    try:
        argument = family.argument.parse(argument_text)
    except ValueError as error:
        raise ConfigError(f"metric {name!r}: argument {argument_text!r} {error}; expected {family.template}") from None
    return Metric(name, family, argument)


def scale_of(kind: str, name: str) -> Scale:
    """The scale (direction, range, unit, target) of metric `name` of a `kind` task."""
    return get_metric(kind, name).scale


def require_columns(frame: pd.DataFrame, kind: str) -> None:
    """Refuse a predictions frame that lacks a column of the kind's one list (`TaskKind.required_columns`, prefixes)."""
    from medbench.tasks.registry import get_kind

    missing = get_kind(kind).missing_columns(frame.columns)
    if missing:
        raise DataError(f"the predictions of a {kind} task lack column(s) {missing}; they have {list(frame.columns)}")


def prepare(kind: str, outputs: "TaskOutputs") -> Prepared:
    """The outputs of a `kind` task as its metric functions read them."""
    from medbench.tasks.registry import get_kind

    families(kind)
    if kind not in _PREPARERS:
        raise ConfigError(f"task.kind: {get_kind(kind).metrics_module} registers no preparer for {kind!r} tasks")
    return _PREPARERS[kind](outputs)
