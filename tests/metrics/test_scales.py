"""Every registered metric family declares its scale (direction, range, unit, target), and real values lie in it."""

from __future__ import annotations

import pytest

from medbench.evaluation.scoring import point_values
from medbench.metrics.direction import Direction, Scale
from medbench.metrics.registry import families, get_metric
from medbench.tasks.outputs import TaskOutputs
from medbench.tasks.registry import KIND_MODULES
from medbench.testing import synthetic

# One name per family: the argument a family needs, or none.
EXAMPLE_ARGUMENT = {"<k>": "5", "<fraction>": "0.9", "<bins>": "10", "class=<k>": "class=1", "label=<k>": "label=1"}


def outputs_of(kind: str, skill: float) -> TaskOutputs:
    predictions, qrels, _ = synthetic.SYNTHETIC_TASKS[kind].generate(kind, 120, 0, skill, 1)
    return TaskOutputs(predictions, qrels)


def metric_names(kind: str) -> list[str]:
    names = []
    for family in families(kind).values():
        argument = family.argument
        names.append(family.name if argument is None else f"{family.name}@{EXAMPLE_ARGUMENT[argument.template]}")
    return names


@pytest.mark.parametrize("kind", sorted(KIND_MODULES))
def test_every_family_declares_a_scale_its_values_respect(kind: str) -> None:
    names = metric_names(kind)
    assert names, f"{kind} registers no metric"
    for skill in (0.1, 0.9):
        values = point_values(outputs_of(kind, skill), kind, names)
        for name, value in values.items():
            scale = get_metric(kind, name).scale
            assert isinstance(scale, Scale) and isinstance(scale.direction, Direction) and isinstance(scale.unit, str), name
            assert scale.contains(value), f"{kind} {name} = {value} outside [{scale.low}, {scale.high}]"
            assert (scale.target is not None) == (scale.direction is Direction.target), name
            if scale.target is not None:
                assert scale.contains(scale.target), name


@pytest.mark.parametrize("kind", sorted(KIND_MODULES))
def test_a_better_model_scores_better_on_the_direction_of_each_family(kind: str) -> None:
    """The declared direction is the one real values move in as a model improves (ties allowed)."""
    names = [name for name in metric_names(kind) if get_metric(kind, name).scale.direction is not Direction.target]
    worse, better = point_values(outputs_of(kind, 0.1), kind, names), point_values(outputs_of(kind, 0.9), kind, names)
    for name in names:
        scale = get_metric(kind, name).scale
        assert scale.loss(better[name]) <= scale.loss(worse[name]) + 1e-9, f"{kind} {name}: {worse[name]} -> {better[name]}"


def test_the_forecasting_scales_read_as_a_forecaster_reads_them() -> None:
    def scale(name: str) -> Scale:
        return get_metric("forecasting", name).scale

    for name in ("mase", "smape", "pinball", "pinball@0.5", "width@0.9", "mae", "rmse"):
        assert scale(name).direction is Direction.minimize and scale(name).high != 1.0, name
    assert scale("mase").high is None and scale("smape").high == 200.0 and scale("smape").unit == "%"
    coverage = scale("coverage@0.9")
    assert coverage.direction is Direction.target and coverage.target == 0.9 and coverage.better == "closer to 0.9"
    assert coverage.loss(0.88) == pytest.approx(coverage.loss(0.92)) and coverage.loss(0.9) < coverage.loss(0.99)
    assert scale("mean_error").target == 0.0 and scale("mean_error").low is None
