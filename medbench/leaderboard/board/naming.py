"""Name board entries by what was run, and group the seeds of one config.

A committee reads "breast_cancer_logreg" and "bm25 · model.language=french", not the class that
ran ("SklearnClassifier seed=0"). An entry's name is

* its title: the experiment it was run as, else its model option (Hydra's choices, kept in the
  entry), else (older entries) the model's class; then the run's own `name`, when it set one;
* its details: the settings (`key=value`) that differ between it and the other entries of the
  same title on the board, so that two BM25 runs read "model.language=english" and "…=french";
  settings shared by every such entry say nothing and are left out, and so is the seed.

Entries whose config differs only by the seed (the same `config_sha256`) form one group: the
page shows it as one row pooled over its seeds (`groups`), expandable to each seed's entry.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Optional

from medbench.leaderboard.board.schema import Entry

# Hydra groups that name what was run, in order of precedence for the title.
TITLE_GROUPS = ("experiment", "model")
SEED_KEYS = frozenset({"seed"})
# Groups that cannot change results (where logs and files go): never what tells two entries apart.
NON_SEMANTIC_GROUPS = frozenset({"experiment", "logger", "paths"})


@dataclass(frozen=True)
class EntryName:
    title: str
    details: tuple[str, ...]
    group: str  # entries with the same group are one config run with several seeds

    @property
    def text(self) -> str:
        return " · ".join((self.title, *self.details))


def name_entries(entries: Mapping[str, Entry]) -> dict[str, EntryName]:
    """The name of every entry, told apart from the other entries given (a board's, or one section's)."""
    titles = {entry_id: _title(entry) for entry_id, entry in entries.items()}
    settings = {entry_id: _settings(entry, titles[entry_id][0]) for entry_id, entry in entries.items()}
    configs = {entry_id: _config_key(entry, settings[entry_id]) for entry_id, entry in entries.items()}
    groups = {entry_id: _hex(f"{entry.task_version}\n{configs[entry_id]}") for entry_id, entry in entries.items()}
    differing: dict[str, list[str]] = {}
    for title in set(text for _, text in titles.values()):
        same = [entry_id for entry_id in entries if titles[entry_id][1] == title]
        keys = sorted({key for entry_id in same for key in settings[entry_id]})
        differing[title] = [key for key in keys if len({settings[entry_id].get(key) for entry_id in same}) > 1]
    names = {}
    for entry_id in entries:
        title = titles[entry_id][1]
        own = settings[entry_id]
        details = tuple(f"{key}={own[key]}" if key in own else f"{key}=(default)" for key in differing[title])
        names[entry_id] = EntryName(title, details, groups[entry_id])
    return _disambiguated(names, configs)


def _title(entry: Entry) -> tuple[Optional[str], str]:
    """(the Hydra group the title comes from, the title)."""
    p = entry.provenance
    choices = dict(p.choices) or _choices_from_overrides(p.overrides)
    group = next((group for group in TITLE_GROUPS if choices.get(group)), None)
    title = choices[group] if group else p.model_target.rsplit(".", 1)[-1]
    if p.name and p.name != title:
        title = f"{title} · {p.name}"
    return group, title


def _settings(entry: Entry, title_group: Optional[str]) -> dict[str, str]:
    """What can tell the entry apart: the other groups' options and every semantic setting (or the overrides)."""
    p = entry.provenance
    choices = dict(p.choices) or _choices_from_overrides(p.overrides)
    found = {group: option for group, option in choices.items() if group != title_group and group not in NON_SEMANTIC_GROUPS}
    if p.settings:
        found.update(p.settings)
    else:
        for override in p.overrides:
            key, _, value = override.lstrip("+~").partition("=")
            if "." in key:
                found[key] = value
    return {key: value for key, value in found.items() if key not in SEED_KEYS}


def _choices_from_overrides(overrides: Sequence[str]) -> dict[str, str]:
    """Older entries have no choices: the group overrides (`model=logreg`) are what they record."""
    found = {}
    for override in overrides:
        key, _, value = override.lstrip("+").partition("=")
        if value and "." not in key and "/" not in key and key not in SEED_KEYS:
            found[key] = value
    return found


def _config_key(entry: Entry, settings: dict[str, str]) -> str:
    """What one config is, whatever its seed (older entries: what they recorded of it)."""
    p = entry.provenance
    return p.config_sha256 or repr((p.model_target, sorted(p.choices.items()), sorted(settings.items())))


def _hex(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _disambiguated(names: dict[str, EntryName], configs: dict[str, str]) -> dict[str, EntryName]:
    """Different configs whose names still read the same get a short hash of their config appended.

    The same config under two task versions (a current and a stale entry) keeps one name.
    """
    configs_of: dict[str, set[str]] = {}
    for entry_id, name in names.items():
        configs_of.setdefault(name.text, set()).add(configs[entry_id])
    return {
        entry_id: name
        if len(configs_of[name.text]) == 1
        else EntryName(name.title, (*name.details, f"config {_hex(configs[entry_id])[:8]}"), name.group)
        for entry_id, name in names.items()
    }
