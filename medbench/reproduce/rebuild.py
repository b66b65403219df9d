"""The claimed run's config rebuilt as it was (checked by the allow-list, relocated to this machine's paths), and its data fingerprint checked before anything trains."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any, Optional

from omegaconf import DictConfig, OmegaConf

from medbench.errors import ConfigError, DataError
from medbench.reproduce.claims import Claim


def local_config() -> DictConfig:
    """The user's own composed config: where to write, and which extra `_target_` modules they allow."""
    from hydra import compose, initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra

    from medbench.config.location import config_dir
    from medbench.config.schema import register_configs

    register_configs()
    GlobalHydra.instance().clear()
    try:
        with initialize_config_dir(config_dir=str(config_dir()), version_base="1.3"):
            return compose(config_name="config")
    finally:
        GlobalHydra.instance().clear()



def rebuild_config(claim: Claim, local: DictConfig, runs_dir: Path, data_root: Optional[Path] = None) -> DictConfig:
    """The stored config, checked by :mod:`medbench.config.safety`, typed by the schema, writing under `runs_dir`.

    The receiver's own paths, loggers and allow-list replace the claim's; caches move to the local
    cache, data files under `data_root` when given, and a model file is read only from the
    claim's own folder (see docs/security.md).
    """
    from omegaconf.errors import OmegaConfBaseException

    from medbench.config.safety import allowed_targets_of, check_outside_config
    from medbench.config.schema import MedbenchConfig

    selected = check_outside_config(claim.config, claim.target, allowed_targets_of(local))
    limit_processes(selected, local, claim.target)
    paths = OmegaConf.to_container(local.paths, resolve=True)
    assert isinstance(paths, dict)
    relocate(selected, claim, str(paths["cache_dir"]), data_root)
    paths["runs_dir"] = str(runs_dir)
    own = {"paths": paths, "logger": OmegaConf.to_container(local.logger, resolve=True), "force": True, "print_config": False}
    try:
        return OmegaConf.merge(OmegaConf.structured(MedbenchConfig), selected, own)
    except OmegaConfBaseException as error:
        raise ConfigError(
            f"{claim.target}: the stored config does not fit this medbench's schema ({error}); "
            f"it was written by medbench {claim.medbench_version}"
        ) from None



# Trainer keys that multiply the processes Lightning starts, and their value when a config has none.
PROCESS_KEYS = {"devices": 1, "num_nodes": 1}
WORKERS_KEY = "num_workers"


def limit_processes(config: dict[str, Any], local: DictConfig, source: str) -> None:
    """Start no more processes than the receiver's own config would.

    `trainer.devices` and `trainer.num_nodes` above the receiver's own are refused (fewer
    devices is another run, not a reproduction; `strategy` starts nothing beyond them), and a
    trainer without `devices` too (Lightning's default takes every device). DataLoader workers
    change speed, not results: any `num_workers` is capped at the receiver's `task.data.num_workers`.
    """
    from medbench.config.safety import SafetyError

    trainer = config.get("trainer")
    if isinstance(trainer, dict) and trainer.get("_target_") is not None:
        if "devices" not in trainer:
            raise SafetyError(
                f"{source}: trainer.devices is missing (Lightning would use every device of this machine); "
                "refused, nothing was run"
            )
        for key, default in PROCESS_KEYS.items():
            own = OmegaConf.select(local, f"trainer.{key}", default=default)
            wanted = trainer.get(key, default)
            if isinstance(own, str) or own == -1:
                continue  # the receiver's own "auto": every device here is theirs to give
            if not isinstance(wanted, int) or wanted > own:
                raise SafetyError(
                    f"{source}: trainer.{key}={wanted!r} starts more processes than this machine's own config "
                    f"allows (trainer.{key}={own!r}); refused, nothing was run. Reproduce it where your own "
                    f"config sets trainer.{key} to at least {wanted!r}"
                )
    own_workers = OmegaConf.select(local, f"task.data.{WORKERS_KEY}", default=0)
    for node, key, _ in list(_file_keys(config, "")):
        if key == WORKERS_KEY and isinstance(node[key], int):
            node[key] = min(node[key], own_workers if isinstance(own_workers, int) else 0)


def relocate(config: dict[str, Any], claim: Claim, cache_dir: str, data_root: Optional[Path]) -> None:
    """Point the file-system keys the safety check let through at this machine's own places:
    caches where the shipped option puts them in the local cache, data files under `data_root`
    when given, model files at the copy the claim carries (see docs/security.md)."""
    from medbench.config.safety import relocation_of, shipped_options

    shipped = shipped_options()
    for node, key, path in list(_file_keys(config, "")):
        kind, value = relocation_of(path, shipped), node[key]
        if value is None or kind is None:
            continue
        if kind == "cache":
            node[key] = shipped.caches[path].replace("${paths.cache_dir}", cache_dir)
        elif kind == "data" and data_root is not None:
            node[key] = str(data_root / Path(str(value)).name)
        elif kind == "model_file":
            node[key] = str(_model_file_inside(claim, path, str(value)))



def _file_keys(node: Any, path: str) -> Iterator[tuple[dict[str, Any], str, str]]:
    if isinstance(node, dict):
        for key, value in node.items():
            child = f"{path}.{key}" if path else str(key)
            yield node, key, child
            yield from _file_keys(value, child)



def _model_file_inside(claim: Claim, key: str, original: str) -> Path:
    """The copy of a model file (ONNX, predictions) the claim carries; anything else is refused."""
    if claim.checkpoint is not None and claim.checkpoint[0].suffix.lower() == Path(original).suffix.lower():
        return claim.checkpoint[0]
    raise ConfigError(
        f"{claim.target}: {key}: the {claim.kind} does not carry the file it names ({Path(original).name}); "
        "a model file from outside is read only from inside the bundle or record, never from this machine"
    )



def check_fingerprint(cfg: DictConfig, claim: Claim, local: DictConfig) -> str:
    """Load the data the config names; stop, naming both fingerprints, if it is not the data of the claim."""
    from medbench.config.instantiation import instantiate_outside
    from medbench.config.safety import allowed_targets_of

    datamodule = instantiate_outside(cfg.task.data, "task.data", claim.target, allowed_targets_of(local))
    datamodule.setup()
    fingerprint = datamodule.fingerprint()
    if fingerprint != claim.dataset_fingerprint:
        raise DataError(
            f"{claim.target}: the dataset here has fingerprint {fingerprint}, the run used "
            f"{claim.dataset_fingerprint}: not the same samples or splits (task {cfg.task.name} "
            f"v{cfg.task.version}, data {cfg.task.data.get('_target_')}); nothing was rerun"
            + (". If your copy of the data is elsewhere, give its folder with --data-root" if _reads_files(cfg) else "")
        )
    return fingerprint



def _reads_files(cfg: DictConfig) -> bool:
    from medbench.config.safety import DATA_PATH_KEYS

    return any(OmegaConf.select(cfg, key) is not None for key in DATA_PATH_KEYS)

