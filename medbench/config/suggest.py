""""Did you mean ...?" for a misspelt subcommand, config-group option or config key.

A typo should cost one line, not a Hydra stack of "Could not find 'model/mlpp'" and a list to
scan: these checks run before anything heavy is imported, on names only (stdlib `difflib`).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Optional

from medbench.errors import ConfigError

# `group=value` (optionally `+group=` or `++group=`) with a plain option name or a sweep list of them.
_GROUP_CHOICE = re.compile(r"^\+{0,2}(?P<group>[A-Za-z_][\w/]*)=(?P<value>[\w.,-]*)$")


def did_you_mean(word: str, options: Iterable[str]) -> Optional[str]:
    """The closest option to `word`, if one is close enough to be a typo."""
    matches = difflib.get_close_matches(word, sorted(set(options)), n=1, cutoff=0.6)
    return matches[0] if matches else None


def unknown_choice_message(what: str, word: str, options: Iterable[str]) -> str:
    options = sorted(set(options))
    guess = did_you_mean(word, options)
    hint = f"did you mean {guess!r}? " if guess else ""
    return f"unknown {what} {word!r}; {hint}choose one of: {', '.join(options)}"


def check_group_choices(overrides: Sequence[str], config_dir: Path) -> None:
    """Refuse `group=option` overrides naming an option that `conf/<group>/` does not have.

    Only groups medbench ships are checked (not Hydra's own `hydra/...` plugins), and only plain
    names or comma-separated sweep lists; anything Hydra's grammar can do beyond that is left to Hydra.
    """
    for override in overrides:
        match = _GROUP_CHOICE.match(override)
        if match is None:
            continue
        group = match.group("group")
        folder = config_dir / group
        if group.startswith("hydra") or not folder.is_dir():
            continue
        options = [path.stem for path in folder.glob("*.yaml")]
        for value in match.group("value").split(","):
            if value and value != "null" and value not in options:
                raise ConfigError(f"{override}: " + unknown_choice_message(f"{group} option", value, options))


def unknown_key_message(error: BaseException) -> str:
    """One line for an override Hydra could not apply: the key, the closest key that exists, how to add one.

    `error` is Hydra's composition error; its cause (OmegaConf's) knows the key and the node it was
    looked up in, whose keys are the candidates. Anything else keeps the first line of each message.
    """
    from omegaconf.errors import ConfigAttributeError, ConfigKeyError

    cause = error.__cause__
    key, full_key, parent = (getattr(cause, name, None) for name in ("key", "full_key", "parent_node"))
    if isinstance(cause, (ConfigAttributeError, ConfigKeyError)) and key is not None and full_key and hasattr(parent, "keys"):
        prefix = str(full_key)[: -len(str(key))]
        options = sorted(str(name) for name in parent.keys() if name != "hydra" and not str(name).startswith("_"))
        guess = did_you_mean(str(key), options)
        hint = f"did you mean {prefix}{guess}?" if guess else f"the keys {prefix.rstrip('.') or 'at the top'} has: {', '.join(options)}"
        return f"unknown config key {full_key!r}; {hint} (a new key is added with +{full_key}=...)"
    lines = [str(part).strip().splitlines()[0] for part in (error, cause) if part is not None and str(part).strip()]
    return "; ".join(lines) or type(error).__name__
