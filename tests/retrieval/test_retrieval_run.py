"""`medbench run` of the retrieval experiments: a complete record, metrics with CIs, no text."""

from __future__ import annotations

import json
from pathlib import Path

from medbench.engine.run import run

METRICS = {"ndcg@10", "map@100", "recall@100", "mrr@10"}


def _texts_of(folder: Path) -> set[str]:
    texts = set()
    for name in ("corpus.jsonl", "queries.jsonl"):
        for line in (folder / name).read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            texts |= {record["text"], record.get("title") or record["text"]}
    return texts


def test_bm25_experiment_writes_a_complete_record_without_text(compose_config) -> None:
    cfg = compose_config("experiment=retrieval_bm25")
    record = run(cfg)
    assert record.complete
    manifest = record.manifest
    assert manifest.protocol.kind == "retrieval" and manifest.protocol.primary == "ndcg@10"
    assert manifest.dataset.split_sizes == {"train": 60, "val": 24, "test": 36}
    assert manifest.model.checkpoint_file is None  # the BM25 index holds the corpus's words
    assert not list(record.path.glob("model.*"))

    metrics = record.metrics()
    assert set(metrics.values) == METRICS and metrics.n_samples == 36
    for name, value in metrics.values.items():
        assert value.ci is not None and value.ci.low <= value.value <= value.ci.high, name
    assert metrics.values["ndcg@10"].value > 0.7 and metrics.values["recall@100"].value > 0.9

    predictions, qrels = record.predictions(), record.qrels()
    assert list(predictions.columns) == ["sample_id", "doc_id", "score", "rank"]
    assert predictions.groupby("sample_id").size().eq(100).all()
    assert set(qrels["sample_id"]) == set(record.splits()["test"])
    # Ids and numbers only: no query or document text reaches the record.
    folder = next(Path(cfg.paths.cache_dir).glob("generated/retrieval-*"))
    cells = {str(value) for frame in (predictions, qrels) for column in frame for value in frame[column]}
    assert not cells & _texts_of(folder) and not any(" " in cell for cell in cells)


def test_a_partner_run_file_scores_like_the_run_it_replays(compose_config, tmp_path: Path) -> None:
    from medbench.data.trec import write_run

    bm25 = run(compose_config("experiment=retrieval_bm25"))
    write_run(bm25.predictions(), tmp_path / "partner.trec", tag="partner")
    partner = run(compose_config("experiment=retrieval_bm25", "model=trec_run_file", f"model.path={tmp_path / 'partner.trec'}"))
    assert partner.complete and partner.run_id != bm25.run_id
    assert partner.manifest.model.checkpoint_file == "model.run"
    assert partner.manifest.dataset.fingerprint == bm25.manifest.dataset.fingerprint
    assert {n: v.value for n, v in partner.metrics().values.items()} == {n: v.value for n, v in bm25.metrics().values.items()}
