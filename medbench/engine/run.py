"""`run(cfg) -> RunRecord`: the whole life of one experiment, independent of any command line.

1. refuse an incomplete or inconsistent config before anything is written;
2. derive the run id from the semantic config; reuse a complete record with that id;
3. seed everything, build the task's data and the model, fit, predict the test split;
4. score the stored predictions and write the record atomically, `complete` or `failed`.
"""

from __future__ import annotations

import logging
import os
import time
import traceback
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Optional

from filelock import FileLock
from omegaconf import DictConfig, OmegaConf

from medbench import __version__
from medbench.errors import ConfigError, RecordError
from medbench.wording import article, or_list
from medbench.config.identity import legacy_run_id_of, run_id_of
from medbench.records.provenance import environment_info, git_info
from medbench.config.recorded import recorded_config, recorded_yaml
from medbench.records.record import (
    DatasetInfo,
    Failure,
    Manifest,
    ModelInfo,
    RecordWriter,
    RunRecord,
    Timing,
    find_record,
    record_dir,
    staged_record,
)
from medbench.data.preflight import check_input_table
from medbench.io import sha256_file
from medbench.records.protocol import Protocol
from medbench.evaluation.scoring import check_protocol, score_outputs

log = logging.getLogger(__name__)

NON_OFFICIAL = "non-official split"


def run(cfg: DictConfig, overrides: Sequence[str] = ()) -> Optional[RunRecord]:
    """Run the experiment `cfg` describes, or return its complete record if one exists.

    Under DDP every rank calls this; ranks other than 0 train beside rank 0 and return None
    without writing anything (no lock either: rank 0 holds it while it waits for them).
    """
    validate(cfg)
    run_id = run_id_of(cfg)
    final = record_dir(cfg.paths.runs_dir, cfg.task.name, run_id)
    final.parent.mkdir(parents=True, exist_ok=True)
    if global_rank() > 0:
        existing = _existing_record(final)
        if existing is not None and existing.complete and not cfg.force and data_change(cfg, existing) is None:
            return None  # rank 0 reuses it too and starts no training for this rank to join
        datamodule = load_data(cfg)
        with staged_record(final) as writer:
            _fit_predict_score(cfg, datamodule, writer, {})
        return None
    # Two processes asking for the same run id (a duplicated sweep point) run it once.
    with FileLock(str(final.parent / f".{run_id}.lock")):
        existing = _existing_record(final) or _legacy_record(cfg, run_id, final)
        if existing is not None and existing.complete and not cfg.force:
            changed = data_change(cfg, existing)
            if changed is None:
                log.info("reusing the complete record %s (force=true reruns it)", final)
                return existing
            log.warning("not reusing %s: %s; running again", final, changed)
        return _execute(cfg, run_id, final, list(overrides))


def global_rank() -> int:
    """This process's rank in a distributed run (0 when not distributed), from the launchers' variables."""
    for variable in ("RANK", "LOCAL_RANK", "SLURM_PROCID"):
        value = os.environ.get(variable)
        if value is not None and value.isdigit():
            return int(value)
    return 0


def validate(cfg: DictConfig) -> None:
    """Refuse a config with missing values or inconsistent task keys, naming the keys."""
    check_model_fits(cfg.task.kind, _hydra_choices(), cfg.task.get("data"))
    missing = sorted(OmegaConf.missing_keys(cfg))
    if missing:
        raise ConfigError(
            "missing mandatory value(s): "
            + ", ".join(missing)
            + ". Set them on the command line (e.g. `medbench run task.version=1.0`) or in the config file."
        )
    check_protocol(Protocol.from_task_config(cfg.task))
    recorded_config(cfg)  # refuses semantic values read from the environment (secrets)
    check_input_table(cfg.task.data)  # a user's file: its header, in seconds, before torch is imported


def check_model_fits(kind_name: Any, choices: dict[str, str], data: Optional[Mapping[str, Any]] = None) -> None:
    """Refuse a shipped model option that does not serve this kind of task or cannot read its data, naming those that do.

    Only the options some kind declares are judged: a model config of the user's own is left to
    its own checks. Without Hydra (an API call) no option is known and nothing is judged. `data`
    is the task's data node: a timeline task's (it declares a cohort) feeds the sequence models,
    any other feeds none of them (`medbench.tasks.kind.TaskKind.models_for`).
    """
    from medbench.tasks.registry import KIND_MODULES, get_kind
    from medbench.tasks.timeline_spec import on_timelines

    option = choices.get("model")
    kind = get_kind(str(getattr(kind_name, "value", kind_name)))
    timelines = on_timelines(data)
    fitting = kind.models_for(timelines)
    task = choices.get("task", "")
    if timelines and option in fitting:
        _check_timeline_features(task, option, str((data or {}).get("features", "counts")), fitting)
    if option is None or option in fitting or not any(option in get_kind(other).models for other in KIND_MODULES):
        return
    if option not in kind.models:
        problem = f"is {article(kind.name)} {kind.name} task, which model={option} does not serve"
    elif timelines:
        problem = f"is on patient timelines (window counts or code sequences), which model={option} does not read"
    else:
        problem = f"has no patient timelines, which model={option} needs"
    raise ConfigError(f"task={task} {problem}: use model={or_list(fitting)}")


def _check_timeline_features(task: str, option: str, features: str, fitting: tuple[str, ...]) -> None:
    """A sequence model needs `task.data.features=sequence`, a model of window counts `features=counts`."""
    from medbench.tasks.kind import SEQUENCE_MODELS, TABLE_READING_MODELS

    if option in SEQUENCE_MODELS and features != "sequence":
        others = [m for m in fitting if m in TABLE_READING_MODELS]
        raise ConfigError(
            f"model={option} reads code sequences, and task={task} has task.data.features={features}: add "
            f"task.data.features=sequence (or use model={or_list(others)} on the window counts)"
        )
    if option in TABLE_READING_MODELS and features == "sequence":
        raise ConfigError(
            f"model={option} reads window counts, and task={task} has task.data.features=sequence: drop that override "
            f"(features=counts) or use model={or_list([m for m in fitting if m in SEQUENCE_MODELS])}"
        )


def data_change(cfg: DictConfig, record: RunRecord) -> Optional[str]:
    """Why `record` is not a result on the data as it is now (None when its fingerprint still holds).

    The run id hashes the config, not the data: a file changed at the same path gives the same id,
    so the dataset is loaded and fingerprinted again before a record is reused.
    """
    stored = record.manifest.dataset.fingerprint if record.manifest.dataset else None
    datamodule = _instantiate(cfg.task.data, "task.data")
    datamodule.setup()
    current = datamodule.fingerprint()
    if current == stored:
        return None
    return f"the data changed since it was recorded (dataset fingerprint {stored} then, {current} now)"


def _legacy_record(cfg: DictConfig, run_id: str, final: Path) -> Optional[RunRecord]:
    """The complete record of this config made before run ids hashed the data by content (its id hashed the path)."""
    legacy = legacy_run_id_of(cfg)
    if legacy == run_id:
        return None
    record = _existing_record(final.parent / legacy)
    return record if record is not None and record.complete else None


def _existing_record(final: Path) -> Optional[RunRecord]:
    try:
        return find_record(final.parent.parent, final.parent.name, final.name)
    except RecordError as error:
        log.warning("the record at %s is unreadable and will be rerun: %s", final, error)
        return None


def _execute(cfg: DictConfig, run_id: str, final: Path, overrides: list[str]) -> RunRecord:
    started, clock = datetime.now(timezone.utc), time.perf_counter()
    # Before the model, the trainer or the record: a bad input file fails here, in one line, and
    # leaves no failed record behind (nothing ran) for `medbench submit runs/*/*/` to trip over.
    datamodule = load_data(cfg)
    with staged_record(final) as writer:
        writer.write_config(recorded_yaml(cfg), overrides)
        outcome: dict[str, Any] = {}
        try:
            _fit_predict_score(cfg, datamodule, writer, outcome)
        except Exception as error:
            manifest = _manifest(cfg, run_id, overrides, started, clock, outcome, error)
            writer.commit(manifest)
            log.error("run %s failed; its record is at %s", run_id, final)
            raise
        return writer.commit(_manifest(cfg, run_id, overrides, started, clock, outcome, None))


def load_data(cfg: DictConfig) -> Any:
    """The task's data module, its files read, checked and split (seeded first: a loader may draw)."""
    import pytorch_lightning as pl
    import torch

    torch.set_num_threads(cfg.num_threads)
    pl.seed_everything(cfg.seed, workers=True, verbose=False)
    datamodule = _instantiate(cfg.task.data, "task.data")
    datamodule.setup()
    return datamodule


def _fit_predict_score(cfg: DictConfig, datamodule: Any, writer: RecordWriter, outcome: dict[str, Any]) -> None:
    """Do the work on the loaded data; fill `outcome` as facts become known, so a failure still records them."""
    import pytorch_lightning as pl

    from medbench.models.base import Estimator
    from medbench.tasks.registry import get_kind
    from medbench.engine.training import fit_and_predict, save_weights

    task = cfg.task
    protocol = Protocol.from_task_config(task)
    kind = protocol.kind

    info = datamodule.info()
    outcome["dataset"] = DatasetInfo(
        fingerprint=datamodule.fingerprint(),
        split_sizes={name: len(ids) for name, ids in datamodule.split_ids().items()},
        source=info.source,
        loader=str(task.data.get("_target_", "")),
        split_seed=task.data.get("split_seed"),
        official_release=info.official_release,
    )
    if info.official_release is False and NON_OFFICIAL not in task.description:
        # The description travels into bundles, reports and boards: say there what the data are.
        task.description = f"{task.description.rstrip()} ({NON_OFFICIAL}: not comparable with published results)".lstrip()
        writer.write_config(OmegaConf.to_yaml(cfg, resolve=True))
    writer.write_splits(datamodule.split_ids())

    model = build_model(cfg.model, info.network_kwargs, kind)
    if isinstance(model, pl.LightningModule):
        scores = fit_and_predict(model, datamodule, cfg, writer.staging, writer.scratch)
        if scores is None:  # a DDP rank other than 0: it trained; rank 0 predicts and writes
            return
        checkpoint = save_weights(model, writer.checkpoint_path(".pt"))
        parameters = sum(p.numel() for p in model.parameters())
        vocabulary = None
    elif isinstance(model, Estimator):
        model.fit(datamodule.split("train"), datamodule.split("val"))
        scores = model.predict_scores(datamodule.split("test"))
        checkpoint = model.save(writer.checkpoint_path(""))
        parameters = model.parameter_count()
        vocabulary = getattr(model, "vocabulary", None)
    else:
        raise ConfigError(
            f"model: {cfg.model._target_} built a {type(model).__name__}, which is neither a LightningModule "
            "nor a medbench Estimator (fit / predict_scores / save / parameter_count)"
        )
    outcome["model"] = ModelInfo(
        target=str(cfg.model._target_),
        parameter_count=parameters,
        checkpoint_file=checkpoint.name if checkpoint else None,
        checkpoint_sha256=sha256_file(checkpoint) if checkpoint else None,
        vocabulary=vocabulary,
    )

    outputs = get_kind(kind).build_outputs(datamodule.split("test"), scores, protocol.metadata_columns())
    writer.write_predictions(outputs.predictions)
    if outputs.qrels is not None:
        writer.write_qrels(outputs.qrels)
    writer.write_metrics(score_outputs(outputs, protocol))
    pathways = datamodule.test_pathways()
    if pathways is not None:
        writer.write_pathways(pathways)


def build_model(model_cfg: DictConfig, network_kwargs: dict[str, Any], task_kind: str) -> Any:
    """Instantiate the model; a `net` entry is built first with the data's sizes, then handed to the module."""
    if "net" in model_cfg:
        net = _instantiate(model_cfg.net, "model.net", **network_kwargs)
        return _instantiate(model_cfg, "model", net=net, task_kind=task_kind)
    return _instantiate(model_cfg, "model")


def _instantiate(node: DictConfig, key: str, **kwargs: Any) -> Any:
    from medbench.config.instantiation import instantiate_node

    return instantiate_node(node, key, **kwargs)


def _hydra_choices() -> dict[str, str]:
    """The option Hydra chose per config group, when Hydra composed this run (not in API calls)."""
    from hydra.core.hydra_config import HydraConfig

    if not HydraConfig.initialized():
        return {}
    choices = HydraConfig.get().runtime.choices
    return {str(group): str(option) for group, option in choices.items() if option is not None and not str(group).startswith("hydra")}


def _manifest(
    cfg: DictConfig,
    run_id: str,
    overrides: list[str],
    started: datetime,
    clock: float,
    outcome: dict[str, Any],
    error: Optional[BaseException],
) -> Manifest:
    return Manifest(
        run_id=run_id,
        status="failed" if error else "complete",
        medbench_version=__version__,
        seed=cfg.seed,
        protocol=Protocol.from_task_config(cfg.task),
        model=outcome.get("model") or ModelInfo(target=str(cfg.model.get("_target_", ""))),
        dataset=outcome.get("dataset"),
        git=git_info(),
        environment=environment_info(),
        timing=Timing(
            started_at=started.isoformat(),
            finished_at=datetime.now(timezone.utc).isoformat(),
            duration_s=round(time.perf_counter() - clock, 3),
        ),
        overrides=overrides,
        choices=_hydra_choices(),
        failure=Failure(
            type=type(error).__name__,
            message=str(error),
            traceback="".join(traceback.format_exception(error)),
        )
        if error
        else None,
    )
