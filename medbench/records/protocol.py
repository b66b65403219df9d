"""The task protocol: the one typed description of how a task's results are computed and compared.

Built once from the task config when a run starts (:meth:`Protocol.from_task_config`), written
whole into the record's manifest, and from there read by everything that scores or compares:
`medbench score` and `compare`, the leaderboard (a board is a protocol plus a data fingerprint, and
an entry is comparable with it when its protocol is *equal*), tiers, bundles and reports. Nothing
re-reads the task config to rebuild it, so what a record says it was scored under is what every
reader uses.

Torch-free and Hydra-free: the committee's commands import it at start-up.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any, Literal, Optional, get_args, get_origin

from pydantic import Field, ValidationError, field_validator, model_validator

from medbench.errors import ConfigError
from medbench.io import Strict, validation_problems
from medbench.metrics.direction import Direction, loss


class Confidence(Strict):
    """How the uncertainty of every reported metric is estimated (the task's `confidence` block)."""

    method: Literal["percentile", "bca"] = "percentile"
    level: float = Field(default=0.95, gt=0.0, lt=1.0)
    n_resamples: int = Field(default=1000, ge=2)
    seed: int = 0

    @classmethod
    def setting_types(cls) -> dict[str, type]:
        """Each setting and its plain type (a Literal's choices are strings), for the config schema
        (`medbench.config.schema.ConfidenceConfig`) and `medbench score`'s overrides, so that
        neither copies the settings or their defaults."""
        return {name: _plain_type(info.annotation) for name, info in cls.model_fields.items()}


def _plain_type(annotation: Any) -> type:
    return type(get_args(annotation)[0]) if get_origin(annotation) is Literal else annotation


class Protocol(Strict):
    """What a task asks for and how its answers are scored; `version` changes whenever any of it does.

    `cluster_column`: samples sharing it (a patient, a site) are resampled together.
    `subgroup_columns`: each gets its own metrics per level. `eval_times`: survival tasks' times
    at which survival probabilities are predicted and scored. `prediction_time`: timeline tasks'
    rule for when each sample is predicted (its trigger and offset); every input comes from events
    strictly before it. Records written before the field existed read as None.
    """

    name: str
    version: str
    kind: str
    description: str = ""
    metrics: tuple[str, ...]
    primary: str
    # The primary metric's direction as the task declares it (checkpoints and early stopping follow
    # it); `medbench.evaluation.scoring.check_protocol` refuses one its metric family contradicts.
    direction: Direction = Direction.maximize
    confidence: Confidence = Confidence()
    cluster_column: Optional[str] = None
    subgroup_columns: tuple[str, ...] = ()
    eval_times: tuple[float, ...] = ()
    prediction_time: Optional[str] = None

    @field_validator("kind")
    @classmethod
    def _registered_kind(cls, kind: str) -> str:
        from medbench.tasks.registry import KIND_MODULES

        if kind not in KIND_MODULES:
            raise ValueError(f"unknown task kind {kind!r}; known kinds: {', '.join(sorted(KIND_MODULES))}")
        return kind

    @model_validator(mode="after")
    def _primary_is_computed(self) -> "Protocol":
        if self.primary not in self.metrics:
            raise ValueError(f"primary metric {self.primary!r} is not among the metrics {list(self.metrics)}")
        return self

    @classmethod
    def from_task_config(cls, task: Any) -> "Protocol":
        """The protocol of a composed `task` config node; ConfigError naming the key otherwise."""
        confidence = task.get("confidence") or {}
        values = {
            "name": str(task.name),
            "version": str(task.version),
            "kind": _plain(task.kind),
            "description": str(task.get("description") or ""),
            "metrics": tuple(task.metrics),
            "primary": str(task.primary_metric),
            "direction": _plain(task.get("direction") or "maximize"),
            "confidence": {key: confidence[key] for key in confidence},
            "cluster_column": task.get("cluster_column") or None,
            "subgroup_columns": tuple(task.get("subgroup_columns") or ()),
            "eval_times": tuple(float(time) for time in task.get("eval_times") or ()),
            # Declared by the data node of timeline tasks (checked there against its cohort).
            "prediction_time": (task.get("data") or {}).get("prediction_time") or None,
        }
        try:
            return cls.model_validate(values)
        except ValidationError as error:
            raise ConfigError(validation_problems(error, prefix="task.")) from None

    def replaced(self, **changes: Any) -> "Protocol":
        """A copy with `changes`, validated like the original (`medbench score metrics=...`)."""
        try:
            return type(self).model_validate({**self.model_dump(), **changes})
        except ValidationError as error:
            raise ConfigError(validation_problems(error)) from None

    def primary_loss(self) -> Callable[[float], float]:
        """value -> a number that is smaller the better that value of the primary metric is (what boards rank by).

        Only a `target` metric needs its family's target from the metric registry, so ranking a
        board of the usual directions imports no numpy."""
        target = None
        if self.direction is Direction.target:
            from medbench.metrics.registry import scale_of

            target = scale_of(self.kind, self.primary).target
        return partial(loss, self.direction, target=target)

    def metadata_columns(self) -> list[str]:
        """The test metadata the predictions must keep for this protocol: cluster first, then subgroups."""
        columns = list(self.subgroup_columns)
        if self.cluster_column:
            columns.insert(0, self.cluster_column)
        return list(dict.fromkeys(columns))

    def differing_fields(self, other: "Protocol") -> list[str]:
        """The fields where `other` differs from this protocol: why two runs are not comparable."""
        return [key for key in type(self).model_fields if getattr(self, key) != getattr(other, key)]


def _plain(value: Any) -> str:
    """An enum member of the structured config as its string value."""
    return str(getattr(value, "value", value))
