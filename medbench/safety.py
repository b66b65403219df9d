"""The `_target_` allow-list: what a config that came from outside may build.

A config from a transfer bundle, a reproduced record or a submitted leaderboard entry is data,
but Hydra's `instantiate` turns any `_target_` into a call: `_target_: os.system` with
`_args_: ["rm -rf ~"]` would run. Such configs are checked here, every node of them, before
anything is instantiated:

* every `_target_` must name a class or function *defined* in an allowed module (medbench's own,
  torch.nn, torch.optim, torchvision models, scikit-learn estimators, Lightning's Trainer,
  callbacks and loggers, torchmetrics) or in a module the user allows in *their own* config
  (`safety.allowed_targets`); the module that defines the object counts, not the dotted path, so
  `medbench.record.shutil.rmtree` (shutil, reached through an import) is refused;
* no path component may be a dunder (`__globals__`, `__builtins__`...);
* no value may be an interpolation (`${oc.env:SECRET}`): stored configs are fully resolved, so
  an interpolation can only be an attempt to read the receiver's environment.

The allow-list is never read from the outside config itself.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from medbench.errors import MedbenchError

# Modules whose classes and functions an outside config may instantiate. An entry allows the
# module and everything below it (`torch.nn` allows `torch.nn.modules.linear`).
ALLOWED_MODULES: tuple[str, ...] = (
    "medbench",
    "torch.nn",
    "torch.optim",
    "torchvision.models",
    "torchmetrics",
    "pytorch_lightning.trainer",
    "pytorch_lightning.callbacks",
    "pytorch_lightning.loggers",
    # scikit-learn's estimator packages (not sklearn.utils, sklearn.externals, datasets loaders...).
    "sklearn.linear_model",
    "sklearn.ensemble",
    "sklearn.svm",
    "sklearn.tree",
    "sklearn.neighbors",
    "sklearn.naive_bayes",
    "sklearn.neural_network",
    "sklearn.discriminant_analysis",
    "sklearn.gaussian_process",
    "sklearn.calibration",
    "sklearn.dummy",
    "sklearn.preprocessing",
    "sklearn.pipeline",
    "sklearn.compose",
    "sklearn.decomposition",
    "sklearn.impute",
    "sklearn.feature_selection",
)

TARGET_KEY = "_target_"


class SafetyError(MedbenchError):
    """An outside config names something it may not build; nothing was instantiated."""


def check_outside_config(config: Any, source: str, extra_modules: Iterable[str] = ()) -> None:
    """Refuse `config` (a DictConfig or plain data) if any node could run code outside the allow-list.

    `source` names where the config came from, for the message; `extra_modules` are the user's
    own additions (`safety.allowed_targets` of their local config).
    """
    allowed = tuple(ALLOWED_MODULES) + tuple(str(m).rstrip(".") for m in extra_modules)
    for key_path, key, value in _walk(_plain(config), ""):
        if isinstance(value, str) and "${" in value:
            raise SafetyError(
                f"{source}: {key_path}: interpolation {value!r} refused; a config from outside must be fully "
                "resolved (an interpolation could read this machine's environment)"
            )
        if key == TARGET_KEY:
            _check_target(value, key_path, source, allowed)


def allowed_modules_of(local_config: Any) -> list[str]:
    """`safety.allowed_targets` of the user's own composed config (empty when absent)."""
    safety = local_config.get("safety") if local_config is not None else None
    if not safety:
        return []
    return [str(entry) for entry in (safety.get("allowed_targets") or [])]


def _check_target(target: Any, key_path: str, source: str, allowed: tuple[str, ...]) -> None:
    if not isinstance(target, str) or not target:
        raise SafetyError(f"{source}: {key_path}: a _target_ must be a dotted name, got {target!r}")
    parts = target.split(".")
    if any(part.startswith("__") for part in parts):
        raise SafetyError(f"{source}: {key_path}: {target!r} reaches a dunder attribute; refused")
    roots = {module.split(".")[0] for module in allowed}
    if parts[0] not in roots or len(parts) < 2:
        raise _refusal(source, key_path, target, allowed)
    obj = _locate(target, source, key_path)
    defined_in = getattr(obj, "__module__", None) or ""
    if not callable(obj) or not _within(defined_in, allowed):
        raise _refusal(source, key_path, target, allowed, f" (it is defined in {defined_in or 'an unknown module'})")


def _refusal(source: str, key_path: str, target: str, allowed: tuple[str, ...], detail: str = "") -> SafetyError:
    return SafetyError(
        f"{source}: {key_path}: _target_ {target!r} is not on the allow-list{detail}; nothing was run. "
        f"Allowed modules: {', '.join(allowed)}. If you trust it, add its module to safety.allowed_targets "
        "in your own config (never in the config you received)."
    )


def _within(module: str, allowed: tuple[str, ...]) -> bool:
    return any(module == prefix or module.startswith(prefix + ".") for prefix in allowed)


def _locate(target: str, source: str, key_path: str) -> Any:
    from hydra._internal.utils import _locate as hydra_locate

    try:
        return hydra_locate(target)
    except Exception as error:  # ImportError, AttributeError, ValueError: all mean "cannot resolve"
        raise SafetyError(f"{source}: {key_path}: _target_ {target!r} cannot be resolved: {error}") from None


def _plain(config: Any) -> Any:
    from omegaconf import DictConfig, ListConfig, OmegaConf

    if isinstance(config, (DictConfig, ListConfig)):
        return OmegaConf.to_container(config, resolve=False, enum_to_str=True)
    return config


def _walk(node: Any, path: str) -> Iterator[tuple[str, str, Any]]:
    """(key path, key, value) of every entry of nested dicts and lists, depth first."""
    if isinstance(node, dict):
        for key, value in node.items():
            child = f"{path}.{key}" if path else str(key)
            yield child, str(key), value
            yield from _walk(value, child)
    elif isinstance(node, list):
        for index, value in enumerate(node):
            child = f"{path}[{index}]"
            yield child, "", value
            yield from _walk(value, child)
