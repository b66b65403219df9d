"""The config as records, logs and bundles keep it: nothing read from the environment.

`${oc.env:VAR}` reads the running machine's environment, where API keys and passwords live. A
record is shared (bundles, leaderboard entries), so:

* a semantic key (one the run id hashes, :mod:`medbench.config.identity`) may not depend on the
  environment at all: the run is refused before anything is written;
* any other key that depends on it (loggers, tags...) is written as `<environment variable VAR>`,
  never as its value.

`paths.*` may read the variables `conf/paths/` names (MEDBENCH_ROOT): a folder, not a secret, and
never semantic.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

from omegaconf import DictConfig, OmegaConf

from medbench.errors import ConfigError
from medbench.config.identity import NON_SEMANTIC_KEYS

ENV_RESOLVER = "oc.env"


def recorded_config(cfg: DictConfig) -> dict[str, Any]:
    """`cfg` resolved, with environment-dependent values masked; ConfigError for a semantic one."""
    resolved = OmegaConf.to_container(cfg, resolve=True, enum_to_str=True)
    with _masked_environment():
        masked = OmegaConf.to_container(cfg, resolve=True, enum_to_str=True)
    assert isinstance(resolved, dict) and isinstance(masked, dict)
    semantic = [path for path, _ in _differences(resolved, masked, "") if _is_semantic(path)]
    if semantic:
        raise ConfigError(
            f"{', '.join(semantic)}: read(s) an environment variable (${{oc.env:...}}); a value that changes "
            "results is written into the record, its bundle and leaderboard entries, so it may not come from "
            "the environment (where secrets live). Write the value itself in the config or on the command line."
        )
    return masked


def recorded_yaml(cfg: DictConfig) -> str:
    """:func:`recorded_config` as the YAML of a record's `config.yaml`."""
    return OmegaConf.to_yaml(OmegaConf.create(recorded_config(cfg)))


@contextmanager
def _masked_environment() -> Iterator[None]:
    """Within the block, `${oc.env:VAR}` resolves to a placeholder, except the variables paths may read."""
    from omegaconf.resolvers import oc

    allowed = _path_variables()

    def masked(key: str, default: Any = None) -> Any:
        return oc.env(key, default) if key in allowed else f"<environment variable {key}>"

    OmegaConf.register_new_resolver(ENV_RESOLVER, masked, replace=True)
    try:
        yield
    finally:
        OmegaConf.register_new_resolver(ENV_RESOLVER, oc.env, replace=True)


@lru_cache(maxsize=1)
def _path_variables() -> frozenset[str]:
    from medbench.config.location import config_dir

    names: set[str] = set()
    for file in (config_dir() / "paths").glob("*.yaml"):
        names.update(re.findall(r"oc\.env:([A-Za-z_][A-Za-z0-9_]*)", file.read_text(encoding="utf-8")))
    return frozenset(names)


def _differences(a: Any, b: Any, path: str) -> Iterator[tuple[str, Any]]:
    if isinstance(a, dict) and isinstance(b, dict):
        for key in a:
            yield from _differences(a[key], b.get(key), f"{path}.{key}" if path else str(key))
    elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for index, (x, y) in enumerate(zip(a, b)):
            yield from _differences(x, y, f"{path}[{index}]")
    elif a != b:
        yield path, b


def _is_semantic(path: str) -> bool:
    plain = re.sub(r"\[\d+\]", "", path)
    return not any(plain == key or plain.startswith(key + ".") for key in NON_SEMANTIC_KEYS)
