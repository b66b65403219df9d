"""A prediction task on patient timelines, declared: who is in the cohort, when the prediction is made, what is predicted.

The schema follows ACES (the MEDS ecosystem's task configuration language) for the cases medbench
needs, in a typed, torch-free form that the task YAML fills under `task.data.cohort`:

* a **trigger**: the event codes whose occurrence opens a sample (`ENCOUNTER_END:inpatient`, a
  diagnosis), every occurrence or the subject's first; the **prediction time** is the trigger's
  time plus `offset_days`. Every model input is computed from events strictly before it.
* **inclusion**: a minimum age and history at the prediction time; **exclusions**: codes that,
  seen in a window relative to the prediction time, drop the sample. Subjects dead at the
  prediction time never enter.
* a **label**, from events strictly after the prediction time:
  `binary` (a label code within `window_days`; a negative needs follow-up over the whole window),
  `next_code` (which label code comes first within `window_days`: multi-class, "next event"), or
  `time_to_event` (days to the first label code; censored at the end of the record or death, or at
  `window_days`).

Codes are `VOCABULARY:code` strings (`SNOMED:44054006`); an entry ending in `*` is a prefix
(`SNOMED:*` matches every SNOMED code).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, Optional

from pydantic import Field, model_validator

from medbench.io import Strict

LABEL_KINDS = {"binary": "binary", "next_code": "multiclass", "time_to_event": "survival"}


class CodeWindow(Strict):
    """Codes seen in (start_days, end_days] relative to the prediction time (negative: before it)."""

    codes: tuple[str, ...] = Field(min_length=1)
    start_days: Optional[float] = None  # None: from the start of the record
    end_days: float = 0.0


class Trigger(Strict):
    codes: tuple[str, ...] = Field(min_length=1)
    occurrence: Literal["all", "first"] = "all"
    offset_days: float = Field(default=0.0, ge=0.0)
    min_age_years: Optional[float] = None
    # The subject's first event is at least this many days before the prediction time.
    min_history_days: float = Field(default=0.0, ge=0.0)


class Label(Strict):
    type: Literal["binary", "next_code", "time_to_event"]
    codes: tuple[str, ...] = Field(min_length=1)
    # binary, next_code: the horizon (required); time_to_event: an optional cap on follow-up.
    window_days: Optional[float] = Field(default=None, gt=0.0)
    # next_code: the most frequent codes among training samples become classes, the rest `other`.
    max_classes: int = Field(default=10, ge=2)

    @model_validator(mode="after")
    def _horizon(self) -> "Label":
        if self.type in ("binary", "next_code") and self.window_days is None:
            raise ValueError(f"label.window_days is required for a {self.type} label")
        return self


class TimelineTask(Strict):
    trigger: Trigger
    label: Label
    exclude: tuple[CodeWindow, ...] = ()

    @property
    def task_kind(self) -> str:
        """The medbench task kind the label makes: binary, multiclass or survival."""
        return LABEL_KINDS[self.label.type]

    def prediction_time(self) -> str:
        """The rule of the prediction time in words, for the Protocol (what makes two runs comparable)."""
        which = "first" if self.trigger.occurrence == "first" else "each"
        return f"{which} {'|'.join(self.trigger.codes)} + {self.trigger.offset_days:g} d"


def on_timelines(data: Optional[Mapping[str, Any]]) -> bool:
    """Whether a task's data node (`task.data`) is on patient timelines: it declares a cohort (a :class:`TimelineTask`)."""
    return data is not None and data.get("cohort") is not None
