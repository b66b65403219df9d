"""Tasks that read a user's file take the same data keys, and every key an error message advises exists."""

from __future__ import annotations

import importlib
import inspect
import re
from pathlib import Path

import pytest
import yaml

from medbench.config.location import config_dir

PACKAGE = Path(__file__).resolve().parents[1] / "medbench"
# The tasks whose data is a user's file of rows (a table or notes); forecasting reads series by origin.
ROW_FILE_TASKS = ("tabular_csv", "regression_csv", "survival_csv", "clinical_notes")
COMMON_KEYS = {"path", "id_column", "metadata_columns", "incomplete_rows", "val_fraction", "test_fraction", "split_seed", "batch_size", "num_workers"}
ADVICE = re.compile(r"task\.data\.(?P<key>[a-z_]+)=(?P<value>[A-Za-z0-9_]+)")


def _task_data(task: str) -> dict:
    return yaml.safe_load((config_dir() / "task" / f"{task}.yaml").read_text())["data"]


def _advised_overrides() -> list[tuple[str, str]]:
    """(task, override) for each `task.data.KEY=VALUE` an error message advises, on the user-file tasks its module loads."""
    datas = {path.stem: _task_data(path.stem) for path in (config_dir() / "task").glob("*.yaml")}
    targets = {task: data.get("_target_", "") for task, data in datas.items() if "path" in data}
    found = []
    for source in sorted(PACKAGE.rglob("*.py")):
        module = ".".join(source.relative_to(PACKAGE.parent).with_suffix("").parts)
        for match in ADVICE.finditer(source.read_text()):
            found += [(task, match.group(0)) for task, target in targets.items() if target.rsplit(".", 1)[0] == module]
    return sorted(set(found))


ADVISED = _advised_overrides()


def test_error_messages_advise_overrides_on_the_tasks_that_load_them() -> None:
    assert ("clinical_notes", "task.data.incomplete_rows=drop") in ADVISED
    assert ("tabular_csv", "task.data.incomplete_rows=drop") in ADVISED


@pytest.mark.parametrize("task, override", ADVISED)
def test_every_advised_override_is_accepted(compose_config, task: str, override: str) -> None:
    cfg = compose_config(f"task={task}", override)
    key, _, value = override.partition("=")
    assert str(cfg.task.data[key.rsplit(".", 1)[-1]]) == value


@pytest.mark.parametrize("task", ROW_FILE_TASKS)
def test_row_file_tasks_share_their_data_keys_and_their_loaders_take_them(task: str) -> None:
    data = _task_data(task)
    assert COMMON_KEYS <= set(data), sorted(COMMON_KEYS - set(data))
    module, _, name = data["_target_"].rpartition(".")
    # What **kwargs passes on counts: every __init__ up the class's bases.
    loader = getattr(importlib.import_module(module), name)
    accepted = {parameter for cls in loader.__mro__ if "__init__" in vars(cls) for parameter in inspect.signature(cls.__init__).parameters}
    assert set(data) - {"_target_"} <= accepted, sorted(set(data) - {"_target_"} - accepted)


@pytest.mark.parametrize("task", ["clinical_notes", "tabular_csv"])
@pytest.mark.parametrize("kind", ["binary", "multiclass", "multilabel"])
def test_the_kind_chooses_the_default_metrics_and_a_list_still_wins(compose_config, task: str, kind: str) -> None:
    from medbench.metrics.registry import get_metric

    cfg = compose_config(f"task={task}", f"task.kind={kind}")
    assert cfg.task.primary_metric == cfg.task.metrics[0]
    for name in cfg.task.metrics:
        get_metric(kind, name)  # raises for a metric of another kind
    chosen = compose_config(f"task={task}", f"task.kind={kind}", "task.metrics=[macro_f1]", "task.primary_metric=macro_f1")
    assert list(chosen.task.metrics) == ["macro_f1"]
