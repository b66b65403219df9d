"""Building objects from `_target_` nodes: the one place medbench calls Hydra's `instantiate`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from omegaconf import DictConfig

from medbench.errors import ConfigError


def instantiate_node(node: Any, key: str, **kwargs: Any) -> Any:
    """Instantiate `node` (found at config key `key`), naming the key when it fails."""
    from hydra.errors import InstantiationException
    from hydra.utils import instantiate

    try:
        return instantiate(node, **kwargs)
    except InstantiationException as error:
        raise ConfigError(f"{key}: cannot instantiate {_target_of(node)}: {error}") from error


def instantiate_named(group: DictConfig | None, key: str, **kwargs: Any) -> list[Any]:
    """Instantiate each named entry of a group (loggers, callbacks); null entries are skipped."""
    if not group:
        return []
    return [
        instantiate_node(entry, f"{key}.{name}", **kwargs)
        for name, entry in group.items()
        if isinstance(entry, DictConfig) and "_target_" in entry
    ]


def _target_of(node: Any) -> str:
    return str(node.get("_target_", "<no _target_>")) if isinstance(node, DictConfig) else repr(node)


def instantiate_outside(node: Any, key: str, source: str, extra_targets: Sequence[str] = (), **kwargs: Any) -> Any:
    """Instantiate the node found at config path `key` of a config from outside, once
    :mod:`medbench.config.safety` found that it only selects shipped options."""
    from medbench.config.safety import check_outside_node

    check_outside_node(node, key, source, extra_targets)
    return instantiate_node(node, key, **kwargs)
