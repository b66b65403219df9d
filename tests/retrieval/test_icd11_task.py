"""The ICD-11 search task built from the cim-11-CERTIC package: French and English twins, held-out queries."""

from __future__ import annotations

from pathlib import Path

import pytest

from medbench.data.beir import load_beir
from medbench.data.icd11_retrieval import write_icd11_folder
from medbench.errors import ConfigError
from medbench.engine.run import run


@pytest.fixture(scope="module")
def folders(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("icd11")
    return {language: write_icd11_folder(root / language, language=language, n_queries=60, seed=3) for language in ("fr", "en")}


def test_each_query_is_held_out_of_its_one_relevant_category(folders) -> None:
    dataset = load_beir(folders["fr"], ["train", "dev", "test"])
    judged = {query: docs for split in dataset.qrels.values() for query, docs in split.items()}
    assert len(judged) == 60 and sum(len(split) for split in dataset.qrels.values()) == 60
    texts = dict(zip(dataset.corpus.ids.tolist(), zip(dataset.corpus.titles, dataset.corpus.texts)))
    for query, docs in judged.items():
        ((category, grade),) = docs.items()
        title, entries = texts[category]
        assert grade == 1 and dataset.queries[query] not in entries.split("; ") and dataset.queries[query] != title
    assert len(dataset.corpus) > 5000 and any(c in "".join(dataset.queries.values()) for c in "éèàç")


def test_french_and_english_twins_share_entities_and_judgments(folders, tmp_path: Path) -> None:
    fr, en = (load_beir(folders[language], ["train", "dev", "test"]) for language in ("fr", "en"))
    assert fr.qrels == en.qrels and fr.corpus.ids.tolist() == en.corpus.ids.tolist()
    assert set(fr.queries) == set(en.queries) and fr.queries != en.queries
    again = write_icd11_folder(tmp_path / "again", language="fr", n_queries=60, seed=3)
    assert (again / "queries.jsonl").read_bytes() == (folders["fr"] / "queries.jsonl").read_bytes()


def test_bad_settings_and_a_missing_package_say_what_to_do(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ConfigError, match="language"):
        write_icd11_folder(tmp_path / "x", language="de")
    with pytest.raises(ConfigError, match="n_queries: at most"):
        write_icd11_folder(tmp_path / "x", n_queries=10**6)
    monkeypatch.setattr("importlib.util.find_spec", lambda name: None)
    with pytest.raises(ConfigError, match="pip install cim-11-CERTIC"):
        write_icd11_folder(tmp_path / "y")


@pytest.mark.slow
def test_french_bm25_experiment_writes_a_record(compose_config) -> None:
    record = run(compose_config("experiment=retrieval_icd11_fr_bm25", "task.data.n_queries=40"))
    assert record.complete and record.protocol.name == "retrieval_icd11_fr" and record.protocol.kind == "retrieval"
    assert record.manifest.dataset.split_sizes == {"train": 8, "val": 2, "test": 30}
    predictions = record.predictions()
    assert predictions["doc_id"].str.fullmatch(r"[0-9A-Za-z\-]+").all()  # short ids, no URLs
