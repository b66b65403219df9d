"""Configs from outside select, they do not instantiate (see docs/security.md).

A config from a transfer bundle, a reproduced record or a leaderboard entry is data, but Hydra's
`instantiate` turns any `_target_` into a call, and an allowed *module* is not an allowed
*function* (a package's own entry points start nested runs, scikit-learn's `memory=` makes joblib
unpickle a cache folder). So an outside config is checked here, every node of it, before
anything is built, against what medbench ships in `conf/<group>/<option>.yaml`:

* every `_target_` must equal, exactly, the `_target_` of a shipped option at the same config
  path (`model.estimator._target_` against the `estimator._target_`s of `conf/model/*.yaml`),
  or a target the local user lists in *their own* `safety.allowed_targets`; the named object is
  never imported or looked up to decide;
* Hydra's control keys (`_args_`, `_partial_`, ...) only where a shipped option has them, and no
  other key starting with `_`;
* keys that reach the file system or the import system (`memory`, caches, folders, files,
  `*_path`) are refused, except the few the receiver relocates itself (:func:`relocation_of`);
* values are plain data of the shipped option's type, never interpolations (`${oc.env:...}`
  would read the receiver's environment);
* every key is one a shipped option (or medbench's schema) has at that config path, except
  below a `_target_` the local user allowed themselves;
* every key that costs the receiver time, memory or processes (:data:`RESOURCE_BOUNDS`) lies
  within its range: `n_resamples: 1000000000` is refused, not run for days.

Sections the receiver always replaces with its own (`RECEIVER_SECTIONS`: paths, loggers, the
allow-list itself, Hydra's) are dropped, not checked: :func:`check_outside_config` returns what
is left, and only that may be built.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from medbench.errors import MedbenchError

TARGET_KEY = "_target_"
# Hydra's instantiate keys other than `_target_`: accepted only where a shipped option uses them.
CONTROL_KEYS = frozenset({"_args_", "_partial_", "_recursive_", "_convert_"})
# Sections of an outside config the receiver replaces with its own before running.
RECEIVER_SECTIONS = ("paths", "logger", "safety", "hydra")
# Keys that name files or folders and that the receiver relocates itself (reproduce.py, see
# :func:`relocation_of`): data paths move under `--data-root`, caches to the shipped option's
# place in the local cache, model files (anywhere under `model`) into the bundle.
DATA_PATH_KEYS = ("task.data.path", "task.data.root", "task.data.folder")
CACHE_KEY = "cache_dir"
MODEL_FILE_NAMES = ("path", "model_path")
# Argument names that reach the file system (joblib's `memory` unpickles what its folder holds).
FILE_SYSTEM_KEY = re.compile(
    r"^(memory|path|root|folder|location|filename|file|dir|directory|dirpath|cachedir|module|import)$"
    r"|(_path|_dir|_file|_folder|_root|_module)$|^(cache|checkpoint)",
    re.IGNORECASE,
)
# A dotted Python name, nothing else: the only shape `safety.allowed_targets` accepts.
DOTTED_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z][A-Za-z0-9_]*)+$")


class SafetyError(MedbenchError):
    """An outside config names something it may not build; nothing was instantiated."""


@dataclass(frozen=True)
class Bound:
    """The range a resource-bearing value from outside must lie in (each item, for a list)."""

    low: float
    high: float
    reason: str
    # False where null means "as much as there is" (Lightning's `devices=None` takes every device).
    nullable: bool = True


# Keys (by name, at any config path) whose value costs the receiver time, memory, disk or
# processes. Every shipped value lies well inside; the test suite checks every shipped option
# and experiment against this table.
RESOURCE_BOUNDS: dict[str, Bound] = {
    "n_resamples": Bound(1, 100_000, "bootstrap resamples, each rescoring every metric: 1,000 shipped, intervals settle long before 100,000"),
    "max_epochs": Bound(1, 1_000, "training passes: 60 shipped with early stopping; -1 (no limit) is refused"),
    "min_epochs": Bound(0, 1_000, "training passes that early stopping cannot cut: 1 shipped"),
    "max_iter": Bound(1, 100_000, "solver or boosting iterations: 300 to 2,000 shipped"),
    "n_iter": Bound(1, 10_000, "Cox solver iterations: 100 shipped"),
    "devices": Bound(1, 8, "Lightning starts one process per device; reproduce also caps it at the receiver's own trainer.devices", nullable=False),
    "num_nodes": Bound(1, 1, "a reproduction runs on the receiver's one machine", nullable=False),
    "num_workers": Bound(0, 16, "DataLoader worker processes: 0 shipped; reproduce caps it at the receiver's own"),
    "n_jobs": Bound(1, 16, "joblib worker processes (-1 would take every core): no shipped model sets it"),
    "n_estimators": Bound(1, 5_000, "trees or ensemble members fitted: no shipped model sets it"),
    "num_threads": Bound(1, 64, "intra-op threads per process: 1 shipped"),
    "batch_size": Bound(1, 65_536, "samples held in memory at once: 32 to 1,024 shipped"),
    "top_k": Bound(1, 10_000, "documents ranked and stored per query: 100 shipped"),
    "depth": Bound(1, 10_000, "first-stage documents re-scored per query: 100 shipped"),
    "n_components": Bound(1, 4_096, "LSA dimensions: 256 shipped"),
    "n_buckets": Bound(1, 1 << 20, "hashed-token embedding rows: 16,384 shipped"),
    "embedding_dim": Bound(1, 4_096, "embedding width: 48 shipped"),
    "channels": Bound(1, 4_096, "convolution channels: 48 shipped"),
    "max_length": Bound(1, 8_192, "tokens kept per text: 256 shipped"),
    "max_leaf_nodes": Bound(2, 4_096, "leaves per boosted tree: 31 shipped"),
    "hidden_sizes": Bound(1, 8_192, "units per hidden layer: 32 to 128 shipped"),
    "widths": Bound(1, 4_096, "channels per convolution block: 16 to 64 shipped"),
    "kernel_sizes": Bound(1, 64, "convolution widths in tokens: 1 to 3 shipped"),
    "ngram_range": Bound(1, 5, "n-gram lengths: (1, 2) shipped; each longer n multiplies the features"),
    "patience": Bound(0, 1_000, "epochs without improvement before stopping: 10 shipped"),
    "save_top_k": Bound(0, 10, "checkpoints kept on disk: 1 shipped (-1 keeps every epoch's)"),
    "n_subjects": Bound(3, 100_000, "generated timeline patients simulated: 400 shipped"),
    "max_codes": Bound(1, 100_000, "timeline codes kept as features or tokens: 64 to 200 shipped"),
    "sequence_length": Bound(1, 4_096, "timeline events per sequence: 64 shipped"),
    "hidden_size": Bound(1, 4_096, "recurrent state width: 64 shipped"),
}
# Items of a bounded list (hidden layers, convolution blocks, n-gram range): 2 or 3 shipped.
MAX_BOUNDED_ITEMS = 16


@dataclass(frozen=True)
class Shipped:
    """What medbench's own options put where: `_target_`s, control keys and value kinds by path."""

    targets: dict[str, frozenset[str]]
    controls: dict[str, frozenset[str]]
    kinds: dict[str, frozenset[str]]
    # Cache folders as shipped (`${paths.cache_dir}/models`), resolved against the receiver's paths.
    caches: dict[str, str]
    # Every key path a shipped option or medbench's schema has (list positions as `[]`).
    known: frozenset[str] = frozenset()


def relocation_of(path: str, shipped: "Shipped") -> str | None:
    """"data", "cache" or "model_file" for a file-system key the receiver relocates; None otherwise."""
    path = _normal(path)
    key = path.rpartition(".")[2]
    if path in DATA_PATH_KEYS:
        return "data"
    if key == CACHE_KEY and path in shipped.caches:
        return "cache"
    if path.startswith("model.") and key in MODEL_FILE_NAMES:
        return "model_file"
    return None


def check_outside_config(config: Any, source: str, extra_targets: Iterable[str] = ()) -> dict[str, Any]:
    """Refuse `config` (a DictConfig or plain data) unless it only selects shipped options.

    `source` names where the config came from, for the message; `extra_targets` are the exact
    targets the local user allows (`safety.allowed_targets` of their own config). Returns the
    config as plain data without the receiver's sections: the only part that may be built.
    """
    extra = frozenset(_checked_extra(extra_targets))
    plain = _plain(config)
    if not isinstance(plain, dict):
        raise SafetyError(f"{source}: a config must be a mapping, got {type(plain).__name__}")
    kept = {key: value for key, value in plain.items() if key not in RECEIVER_SECTIONS}
    shipped = shipped_options()
    for path, key, value in _walk(kept, ""):
        _check_entry(path, key, value, source, shipped, extra)
    trusted = [_parent(path) for path, key, value in _walk(kept, "") if key == TARGET_KEY and value in extra]
    for path, key, value in _walk(kept, ""):
        if key and not any(path.startswith(f"{node}.") for node in trusted):
            _check_known(path, source, shipped)
        if key in RESOURCE_BOUNDS:
            _check_bound(path, key, value, source)
    return kept


def check_outside_node(node: Any, at: str, source: str, extra_targets: Iterable[str] = ()) -> None:
    """Check one node found at config path `at` (e.g. `task.data`) as :func:`check_outside_config` does."""
    config: Any = _plain(node)
    for part in reversed(at.split(".")):
        config = {part: config}
    check_outside_config(config, source, extra_targets)


def allowed_targets_of(local_config: Any) -> list[str]:
    """`safety.allowed_targets` of the user's own composed config (empty when absent)."""
    safety = local_config.get("safety") if local_config is not None else None
    if not safety:
        return []
    return [str(entry) for entry in (safety.get("allowed_targets") or [])]


@lru_cache(maxsize=1)
def shipped_options() -> Shipped:
    """Index every YAML option under medbench's `conf/` by the config path its values land at."""

    from medbench.config.location import config_dir

    targets: dict[str, set[str]] = {}
    controls: dict[str, set[str]] = {}
    kinds: dict[str, set[str]] = {}
    caches: dict[str, str] = {}
    root = config_dir()
    for file in sorted(root.rglob("*.yaml")):
        for prefix, data in _placements(file, root, _package_of(file, root, file.read_text(encoding="utf-8"))):
            for path, key, value in _walk(data, prefix):
                if key == TARGET_KEY:
                    targets.setdefault(_parent(path), set()).add(str(value))
                elif key in CONTROL_KEYS:
                    controls.setdefault(_parent(path), set()).add(key)
                elif key == CACHE_KEY and isinstance(value, str):
                    caches[_normal(path)] = value
                kinds.setdefault(_normal(path), set()).add(_kind(value))
    known = frozenset(kinds) | _schema_paths()
    # The nodes an option is placed under (`model.retrievers` of `/model@retrievers.bm25`) are keys too.
    ancestors = {path[:index] for path in known for index, char in enumerate(path) if char == "."}
    return Shipped(_frozen(targets), _frozen(controls), _frozen(kinds), caches, known | ancestors)


def _schema_paths() -> frozenset[str]:
    """Every field path of medbench's structured config (`task.confidence.n_resamples`...): keys a
    record holds from the schema's defaults although no YAML option writes them."""
    import dataclasses
    import typing

    from medbench.config.schema import MedbenchConfig

    paths: set[str] = set()

    def visit(cls: type, prefix: str) -> None:
        hints = typing.get_type_hints(cls)
        for field in dataclasses.fields(cls):
            path = f"{prefix}.{field.name}" if prefix else field.name
            paths.add(path)
            for kind in (hints[field.name], *typing.get_args(hints[field.name])):
                if isinstance(kind, type) and dataclasses.is_dataclass(kind):
                    visit(kind, path)

    visit(MedbenchConfig, "")
    return frozenset(paths)


def _placements(file: Path, root: Path, prefix: str, depth: int = 0) -> Iterator[tuple[str, dict[str, Any]]]:
    """(config path, content) of a file, and of the options its defaults place inside it
    (`- /model@retrievers.dense: dense_minilm` puts that option at `<prefix>.retrievers.dense`)."""
    import yaml

    data = yaml.safe_load(file.read_text(encoding="utf-8")) or {}
    if not isinstance(data, dict) or depth > 4:
        return
    defaults = data.pop("defaults", None) or []
    yield prefix, data
    for entry in defaults:
        if not isinstance(entry, dict):
            continue
        for spec, option in entry.items():
            group, at, package = str(spec).partition("@")
            if not at or not isinstance(option, str) or group.startswith("override"):
                continue
            option_file = root / group.lstrip("/") / f"{option}.yaml"
            if option_file.is_file():
                yield from _placements(option_file, root, ".".join(p for p in (prefix, package) if p), depth + 1)


def _frozen(table: dict[str, set[str]]) -> dict[str, frozenset[str]]:
    return {path: frozenset(values) for path, values in table.items()}


def _package_of(file: Path, root: Path, text: str) -> str:
    """The config path a file's content is merged at: its group folder, or its `@package` line."""
    match = re.search(r"^#\s*@package\s+(\S+)", text, re.MULTILINE)
    if match:
        return "" if match.group(1) == "_global_" else match.group(1)
    return ".".join(file.relative_to(root).parent.parts)


def _check_entry(path: str, key: str, value: Any, source: str, shipped: Shipped, extra: frozenset[str]) -> None:
    if isinstance(value, str) and "${" in value:
        raise SafetyError(
            f"{source}: {path}: interpolation {value!r} refused; a config from outside must be fully "
            "resolved (an interpolation could read this machine's environment)"
        )
    if not isinstance(value, (dict, list, str, int, float, bool)) and value is not None:
        raise SafetyError(f"{source}: {path}: {type(value).__name__} values are not plain data; refused")
    if key == TARGET_KEY:
        _check_target(value, path, source, shipped, extra)
    elif key in CONTROL_KEYS:
        if key not in shipped.controls.get(_normal(_parent(path)), frozenset()):
            raise SafetyError(f"{source}: {path}: no shipped option uses {key} here; refused, nothing was run")
    elif key.startswith("_"):
        raise SafetyError(f"{source}: {path}: private or Hydra key {key!r} refused; nothing was run")
    elif FILE_SYSTEM_KEY.search(key) and relocation_of(path, shipped) is None and not _harmless(key, value):
        raise SafetyError(
            f"{source}: {path}: {key!r} would reach this machine's file system ({value!r}); refused, "
            "nothing was run. A config from outside may not name files or caches."
        )
    elif key:
        _check_kind(path, value, source, shipped)


def _check_target(target: Any, path: str, source: str, shipped: Shipped, extra: frozenset[str]) -> None:
    node = _normal(_parent(path))
    allowed = shipped.targets.get(node, frozenset())
    if isinstance(target, str) and (target in allowed or target in extra):
        return
    options = ", ".join(sorted(allowed)) or "none: no shipped option builds anything here"
    raise SafetyError(
        f"{source}: {path}: _target_ {target!r} is not the _target_ of an option medbench ships at "
        f"{node or '<root>'}; nothing was run. Shipped here: {options}. If you trust it, list it "
        "exactly in safety.allowed_targets of your own config (never in the config you received)."
    )


def _check_known(path: str, source: str, shipped: Shipped) -> None:
    """A key no shipped option has is refused: nothing checks what a library does with it."""
    if _normal(path) in shipped.known:
        return
    raise SafetyError(
        f"{source}: {path}: no option medbench ships has this key; refused, nothing was run. A config "
        "from outside may only set keys of shipped options (or keys below a _target_ you list in "
        "safety.allowed_targets of your own config)"
    )


def _check_bound(path: str, key: str, value: Any, source: str) -> None:
    """A resource-bearing value (or each item of a list of them) must lie in its :data:`RESOURCE_BOUNDS` range."""
    bound = RESOURCE_BOUNDS[key]
    if value is None and bound.nullable:
        return
    items = value if isinstance(value, list) else [value]
    numbers = all(isinstance(item, (int, float)) and not isinstance(item, bool) for item in items)
    if numbers and len(items) <= MAX_BOUNDED_ITEMS and all(bound.low <= item <= bound.high for item in items):
        return
    shape = f"{'each of at most ' + str(MAX_BOUNDED_ITEMS) + ' numbers' if isinstance(value, list) else 'a number'}"
    raise SafetyError(
        f"{source}: {path}: {value!r} is outside the range a config from outside may ask for "
        f"({shape} from {bound.low:g} to {bound.high:g}: {bound.reason}); refused, nothing was run"
    )


def _check_kind(path: str, value: Any, source: str, shipped: Shipped) -> None:
    """A value where a shipped option has one must be of the same kind (null always fits)."""
    expected = shipped.kinds.get(_normal(path))
    if not expected or value is None or "null" in expected or "any" in expected:
        return
    kind = _kind(value)
    if kind in expected or (kind == "int" and "float" in expected):
        return
    raise SafetyError(
        f"{source}: {path}: a {kind} where medbench's options have {' or '.join(sorted(expected))}; refused"
    )


def _checked_extra(entries: Iterable[str]) -> list[str]:
    checked = []
    for entry in entries:
        if not DOTTED_NAME.match(str(entry)) or any(part.startswith("_") for part in str(entry).split(".")):
            raise SafetyError(
                f"safety.allowed_targets: {entry!r} must be one exact dotted name (module.Class), "
                "with no wildcard and no private part"
            )
        checked.append(str(entry))
    return checked


def _harmless(key: str, value: Any) -> bool:
    """A file-system key may be null, and a `filename` a bare name (a checkpoint's `best` in a folder medbench picks)."""
    from medbench.names import NAME

    if value is None:
        return True
    return key == "filename" and isinstance(value, str) and bool(NAME.match(value)) and ".." not in value


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "int" if isinstance(value, int) else "float"
    if isinstance(value, str):
        return "any" if "${" in value or value == "???" else "str"
    if isinstance(value, list):
        return "list"
    return "map"


def _parent(path: str) -> str:
    """`model.estimator` of `model.estimator._target_`; `a._args_[]` of `a._args_[][0]`."""
    if path.endswith("]"):
        return path[: path.rindex("[")]
    return path.rpartition(".")[0]


def _normal(path: str) -> str:
    """List positions erased: `callbacks.x._args_[3]` → `callbacks.x._args_[]`."""
    return re.sub(r"\[\d+\]", "[]", path)


def _plain(config: Any) -> Any:
    from omegaconf import DictConfig, ListConfig, OmegaConf

    if isinstance(config, (DictConfig, ListConfig)):
        return OmegaConf.to_container(config, resolve=False, enum_to_str=True)
    return config


def _walk(node: Any, path: str) -> Iterator[tuple[str, str, Any]]:
    """(key path, key, value) of every entry of nested dicts and lists, depth first, `_target_` first."""
    if isinstance(node, dict):
        for key, value in sorted(node.items(), key=lambda item: item[0] != TARGET_KEY):
            child = f"{path}.{key}" if path else str(key)
            yield child, str(key), value
            yield from _walk(value, child)
    elif isinstance(node, list):
        for index, value in enumerate(node):
            child = f"{path}[{index}]"
            yield child, "", value
            yield from _walk(value, child)
