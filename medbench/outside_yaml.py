"""YAML from outside (a bundle's or a record's `config.yaml`, `overrides.yaml`) read as bounded data.

YAML anchors and aliases let 270 bytes name a billion strings ("billion laughs"): the parser keeps
references, but OmegaConf copies every one, and took 54 s before any check could refuse the
config. medbench never writes an anchor (its configs are dumped from plain containers), so a file
from outside with one is refused here, from the parser's event stream, before any node is built;
so are files over a size, depth or node count no recorded config comes near. Only then does the
text reach OmegaConf (or PyYAML's safe loader) as usual.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from medbench.errors import RecordError

# A recorded config is a few KB (the largest shipped composition is under 10 KB): 1 MiB is a
# hundred times that, and bounds the parse to well under a second.
MAX_YAML_BYTES = 1 << 20
# Nesting: recorded configs are at most about 6 levels deep; the parser recurses per level.
MAX_YAML_DEPTH = 32
# Scalars, maps and lists: a composed config has a few hundred; OmegaConf builds each as an object.
MAX_YAML_NODES = 20_000


def checked_yaml_text(path: Path, what: str) -> str:
    """The text of `path` once it is known to be plain, bounded YAML: no anchor, alias, nor limit exceeded."""
    import yaml

    size = path.stat().st_size
    if size > MAX_YAML_BYTES:
        raise RecordError(
            f"{what}: {size} bytes is over the {MAX_YAML_BYTES}-byte limit for YAML from outside (MAX_YAML_BYTES); refused unread"
        )
    with open(path, "rb") as handle:
        text = handle.read(MAX_YAML_BYTES + 1).decode("utf-8", errors="replace")
    depth = nodes = 0
    try:
        for event in yaml.parse(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
            if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None) is not None:
                raise RecordError(
                    f"{what}: YAML anchors and aliases are refused in files from outside (a few bytes can expand "
                    "to billions of nodes); medbench never writes them"
                )
            if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                depth += 1
                if depth > MAX_YAML_DEPTH:
                    raise RecordError(f"{what}: nested deeper than {MAX_YAML_DEPTH} levels (MAX_YAML_DEPTH); refused")
            elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                depth -= 1
            if isinstance(event, (yaml.ScalarEvent, yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                nodes += 1
                if nodes > MAX_YAML_NODES:
                    raise RecordError(f"{what}: more than {MAX_YAML_NODES} YAML nodes (MAX_YAML_NODES); refused")
    except yaml.YAMLError as error:
        raise RecordError(f"{what}: not valid YAML ({str(error).splitlines()[0]})") from None
    return text


def read_outside_config(path: Path, what: str) -> Any:
    """`path` as OmegaConf reads a config (its float and duplicate-key rules), after :func:`checked_yaml_text`."""
    import yaml
    from omegaconf import OmegaConf

    text = checked_yaml_text(path, what)
    try:
        return OmegaConf.create(text)
    except yaml.YAMLError as error:  # a duplicate key, which OmegaConf's loader refuses
        raise RecordError(f"{what}: not a valid config ({str(error).splitlines()[0]})") from None


def read_outside_yaml(path: Path, what: str) -> Any:
    """`path` as plain Python data (PyYAML's safe loader), after :func:`checked_yaml_text`."""
    import yaml

    return yaml.safe_load(checked_yaml_text(path, what))
