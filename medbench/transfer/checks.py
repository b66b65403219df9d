"""The last look before a bundle leaves: no sample ids, no raw text, no per-sample rows, no pickles.

A bundle carries aggregates, hashes and weights only (docs/security.md). This scan runs on every
export, before the bundle is moved into place, and on demand (`medbench export --check BUNDLE`).
It does not trust how the bundle was made: it reads every file.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Optional

from medbench.errors import RecordError
from medbench.records.record import TFIDF_CHECKPOINT_SUFFIX

# What a bundle may hold besides its weights (bundle.py and export.py write exactly these).
TEXT_FILES = frozenset(
    {"config.yaml", "overrides.yaml", "manifest.json", "metrics.json", "metadata.json", "environment.txt", "report.html"}
)
# Weights in forms that load without running code.
WEIGHT_SUFFIXES = frozenset({".pt", ".onnx"})
# A string this long in a config or JSON file is a document, not a setting.
LONG_TEXT = 500
# Ids this short, or short numbers, appear in any file by chance (a metric value, a count).
DISTINCTIVE_ID = re.compile(r"^(?=.*[A-Za-z_-]).{4,}$|^\d{6,}$")


def check_bundle(folder: Path, sample_ids: Iterable[str] = (), n_samples: Optional[int] = None) -> None:
    """Refuse (RecordError, naming the file and what it holds) a bundle folder with patient-level content."""
    problems = []
    ids = {str(i) for i in sample_ids if DISTINCTIVE_ID.match(str(i))}
    id_pattern = _any_of(ids)
    for file in sorted(folder.iterdir()):
        if file.name not in TEXT_FILES and file.suffix not in WEIGHT_SUFFIXES and not file.name.endswith(TFIDF_CHECKPOINT_SUFFIX):
            problems.append(f"{file.name}: not a file a bundle may hold (only its config, metadata, report and .pt/.onnx/{TFIDF_CHECKPOINT_SUFFIX} weights)")
            continue
        text = file.read_bytes().decode("utf-8", errors="replace")
        if id_pattern is not None and (found := set(id_pattern.findall(text))):
            problems.append(f"{file.name}: holds {len(found)} sample id(s), e.g. {sorted(found)[0]!r}")
        if file.suffix in (".json", ".yaml"):
            problems.extend(f"{file.name}: {problem}" for problem in _per_sample(_load(file, text), n_samples))
    if problems:
        raise RecordError(
            f"{folder}: refused, the bundle holds patient-level data: " + "; ".join(problems[:5])
            + ". A bundle carries aggregates, hashes and weights only."
        )


def _per_sample(data: Any, n_samples: Optional[int], path: str = "") -> list[str]:
    """Long lists (one item per sample) and long strings (raw text) anywhere in `data`."""
    found = []
    if isinstance(data, dict):
        for key, value in data.items():
            found += _per_sample(value, n_samples, f"{path}.{key}" if path else str(key))
    elif isinstance(data, list):
        if n_samples and len(data) >= max(n_samples, 20):
            found.append(f"{path} has {len(data)} items, one per sample")
        for index, value in enumerate(data):
            found += _per_sample(value, n_samples, f"{path}[{index}]")
    elif isinstance(data, str) and len(data) > LONG_TEXT:
        found.append(f"{path} holds a {len(data)}-character text")
    return found


def _load(file: Path, text: str) -> Any:
    """A JSON file, or a YAML file read as any YAML from outside is (bounded, no aliases)."""
    if file.suffix == ".json":
        return json.loads(text)
    from medbench.outside_yaml import read_outside_yaml

    return read_outside_yaml(file, str(file))


def _any_of(ids: set[str]) -> Optional[re.Pattern[str]]:
    if not ids:
        return None
    alternatives = "|".join(re.escape(i) for i in sorted(ids, key=len, reverse=True))
    return re.compile(rf"(?<![\w-])(?:{alternatives})(?![\w-])")
