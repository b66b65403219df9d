"""The layout of a retrieval record: the ranked run as predictions, the test judgments as qrels.

predictions.parquet  one row per (query, retrieved document): sample_id (query id), doc_id, score,
                     rank (1-based, in trec_eval's order: score descending, ties broken by
                     document id descending)
qrels.parquet        one row per judgment of a test query: sample_id, doc_id, relevance (int)

Document ids and scores only: no query or document text ever reaches the record.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Optional

import numpy as np
import pandas as pd

from medbench.tasks.split import Split
from medbench.errors import DataError
from medbench.tasks.kind import TaskKind
from medbench.tasks.columns import DOC_ID, RANK, RELEVANCE, SAMPLE_ID, SCORE, trec_sorted

if TYPE_CHECKING:
    from medbench.tasks.outputs import TaskOutputs

# What a retriever returns for a split: one row per retrieved document, in any order.
RUN_COLUMNS = (SAMPLE_ID, DOC_ID, SCORE)


def retrieval_outputs(split: Split, raw_output: pd.DataFrame, metadata_columns: Sequence[str]) -> "TaskOutputs":
    """The predictions (ranked run) and qrels of a retrieval run on `split`."""
    from medbench.tasks.outputs import TaskOutputs

    if metadata_columns:
        raise DataError(f"retrieval tasks have no per-query metadata; remove {list(metadata_columns)} from the task's columns")
    return TaskOutputs(predictions=ranked_run(split, raw_output), qrels=qrels_frame(split))


def ranked_run(split: Split, run: pd.DataFrame) -> pd.DataFrame:
    """Check a retriever's run against the split and the corpus, and rank it as trec_eval does."""
    missing = [column for column in RUN_COLUMNS if column not in run.columns]
    if missing:
        raise DataError(f"the retriever's run lacks the column(s) {missing}; it needs {list(RUN_COLUMNS)}")
    frame = pd.DataFrame(
        {
            SAMPLE_ID: run[SAMPLE_ID].astype(str).to_numpy(),
            DOC_ID: run[DOC_ID].astype(str).to_numpy(),
            SCORE: pd.to_numeric(run[SCORE], errors="coerce").to_numpy(dtype=np.float64),
        }
    )
    bad_scores = ~np.isfinite(frame[SCORE].to_numpy())
    if bad_scores.any():
        raise DataError(f"the retriever returned {int(bad_scores.sum())} NaN, infinite or non-numeric scores")
    query_position = {str(query_id): position for position, query_id in enumerate(split.ids)}
    unknown_queries = sorted(set(frame[SAMPLE_ID]) - query_position.keys())
    if unknown_queries:
        raise DataError(f"the run names {len(unknown_queries)} queries outside the test split, e.g. {unknown_queries[:3]}")
    unknown_documents = sorted(set(frame[DOC_ID]) - set(split.inputs.corpus.ids.tolist()))
    if unknown_documents:
        raise DataError(f"the run names {len(unknown_documents)} documents outside the corpus, e.g. {unknown_documents[:3]}")
    duplicated = frame.duplicated([SAMPLE_ID, DOC_ID])
    if duplicated.any():
        first = frame[duplicated].iloc[0]
        raise DataError(f"the run retrieves document {first[DOC_ID]!r} twice for query {first[SAMPLE_ID]!r}")
    frame["_query_position"] = frame[SAMPLE_ID].map(query_position)
    frame = trec_sorted(frame, "_query_position")
    frame[RANK] = frame.groupby("_query_position").cumcount().astype(np.int64) + 1
    return frame.drop(columns="_query_position").reset_index(drop=True)


def qrels_frame(split: Split) -> pd.DataFrame:
    """The judgments of the split's queries, one row per (query, judged document)."""
    rows = [
        (str(query_id), str(doc_id), int(relevance))
        for query_id, judged in zip(split.ids, split.targets)
        for doc_id, relevance in judged.items()
    ]
    frame = pd.DataFrame(rows, columns=[SAMPLE_ID, DOC_ID, RELEVANCE])
    frame[RELEVANCE] = frame[RELEVANCE].astype(np.int64)
    return frame


def plots(predictions: pd.DataFrame, qrels: Optional[pd.DataFrame], primary: str, per_unit: Optional[np.ndarray]) -> list[tuple[str, str]]:
    """The primary metric per test query (`per_unit`): sorted (where the engine fails) and as a histogram."""
    from medbench.plots import figure, png

    if per_unit is None:
        return []
    values = np.sort(per_unit)
    sorted_figure, axes = figure()
    axes.plot(np.arange(1, len(values) + 1), values, drawstyle="steps-post")
    axes.axhline(values.mean(), linestyle="--", color="grey", label=f"mean {values.mean():.3f}")
    axes.set(xlabel="test queries, sorted", ylabel=primary, ylim=(0, 1.01))
    axes.legend(loc="upper left")
    sorted_png = png(sorted_figure)
    histogram_figure, axes = figure()
    axes.hist(values, bins=np.linspace(0, 1, 11), edgecolor="white")
    axes.set(xlabel=primary, ylabel="test queries")
    return [
        (f"{primary} per query, sorted ({len(values)} test queries)", sorted_png),
        (f"Distribution of {primary} over test queries", png(histogram_figure)),
    ]


KIND = TaskKind(
    name="retrieval",
    models=(
        "bm25", "dense_lsa", "dense_minilm", "dense_minilm_onnx", "dense_onnx", "dense_sentence_transformer",
        "hybrid_rrf", "hybrid_interpolation", "rerank_minilm", "trec_run_file",
    ),
    output_description="for each query, documents ranked by a relevance score",
    metrics_module="medbench.metrics.retrieval",
    build_outputs=retrieval_outputs,
    plots=plots,
    required_columns=(SAMPLE_ID, DOC_ID, SCORE),
    row_keys=(SAMPLE_ID, DOC_ID),
    prediction_columns=(DOC_ID, SCORE, RANK),
    finite=(SCORE,),
    answers_every_unit=False,
)
