"""Hidden test labels and server-side scoring: the ground truth stays with the server, and every
number on a board is computed there from the scores a submission sent.

A board's labels come from a hospital's own run record of the task: its predictions frame split
into the *truth* (sample ids, targets, survival times and events, metadata such as patient or
site) and the names of the *prediction* columns a submission must send, as the task kind's spec
declares them (`TaskKind.prediction_columns`, `medbench.tasks.registry`). A submission is a frame
of sample ids and scores; whatever else it holds (targets, say) is dropped. Its ids must be
exactly the test set's (retrieval: queries of the test set; a skipped query scores 0), and the
classification decisions are re-derived from the scores, so nothing the submitter states is
taken on trust.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any, Optional

from medbench.errors import DataError, LeaderboardError
from medbench.io import sha256_hex
from medbench.tasks.columns import SAMPLE_ID

if TYPE_CHECKING:
    import pandas as pd

    from medbench.records.protocol import Protocol
    from medbench.records.record import Metrics, RunRecord
    from medbench.tasks.outputs import TaskOutputs

# Bounds on a submitted file, checked from its footer before anything is decoded.
MAX_SUBMITTED_COLUMNS = 64
MAX_RANKED_PER_QUERY = 10_000  # the `top_k` bound of medbench's own retrievers
MAX_DECODED_BYTES_PER_VALUE = 1024


def is_prediction_column(name: str, kind: Optional[str] = None) -> bool:
    """Whether the model produced column `name` under task `kind` (any registered kind when None)."""
    from medbench.tasks.registry import KIND_MODULES, get_kind

    return any(get_kind(each).is_prediction(name) for each in ([kind] if kind else KIND_MODULES))


@dataclass(frozen=True)
class HiddenLabels:
    """What the server keeps of a test set: never exported, never returned."""

    truth: "pd.DataFrame"  # sample_id + target(s) / time, event + metadata columns, in record order
    qrels: Optional["pd.DataFrame"]
    required_columns: tuple[str, ...]  # what a submission must send besides sample_id

    @cached_property
    def keyed_truth(self) -> "pd.DataFrame":
        """The truth with its sample ids as strings, the key every submission is joined on (made once)."""
        return self.truth.assign(**{SAMPLE_ID: self.truth[SAMPLE_ID].astype(str)})

    @cached_property
    def truth_index(self) -> "pd.Index":
        """The keyed truth's sample ids as an index (its hash table built once, for every submission's look-up)."""
        import pandas as pd

        return pd.Index(self.keyed_truth[SAMPLE_ID])


def labels_of_record(record: "RunRecord") -> HiddenLabels:
    """The hidden labels of the test set a (hospital-side) run record was scored on."""
    from medbench.leaderboard.board.truth import split_truth

    truth, required = split_truth(record.predictions(), record.protocol.kind)
    return HiddenLabels(truth, record.qrels(), required)


def public_columns(frame: "pd.DataFrame", kind: Optional[str] = None) -> "pd.DataFrame":
    """The columns of a predictions frame a submitter sends: sample ids and scores, no targets.

    Without `kind` (a partner's file, whose board's kind the client does not know), what any
    kind's model produces: the server keeps only what its board's kind requires.
    """
    return frame[[SAMPLE_ID] + [column for column in frame.columns if column != SAMPLE_ID and is_prediction_column(column, kind)]]


def to_parquet(frame: "pd.DataFrame") -> bytes:
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False)
    return buffer.getvalue()


def read_parquet(data: bytes, what: str) -> "pd.DataFrame":
    import pandas as pd
    import pyarrow

    try:
        return pd.read_parquet(io.BytesIO(data))
    except (pyarrow.ArrowException, OSError, ValueError) as error:
        raise LeaderboardError(f"{what}: not a readable parquet file ({error})") from None


def read_submission(data: bytes, labels: HiddenLabels, kind: str) -> "pd.DataFrame":
    """The sample ids and score columns of a submitted parquet file, decoded only once its footer
    shows it is the size of this board's test set.

    The footer (row count, columns, the decoded size of each column) is read first; a file whose
    row count is not the test set's (retrieval: more rows than `MAX_RANKED_PER_QUERY` a query),
    with too many columns, without the board's columns, or whose columns decode to more than
    `MAX_DECODED_BYTES_PER_VALUE` a value is refused before a page is decompressed. Then only the
    board's columns are decoded.
    """
    import pyarrow
    import pyarrow.parquet as pq

    from medbench.tasks.registry import get_kind

    try:
        parquet = pq.ParquetFile(io.BytesIO(data))
        footer = parquet.metadata
        names = parquet.schema_arrow.names
    except (pyarrow.ArrowException, OSError, ValueError) as error:
        raise LeaderboardError(f"predictions: not a readable parquet file ({error})") from None
    wanted = [SAMPLE_ID, *labels.required_columns]
    if footer.num_columns > MAX_SUBMITTED_COLUMNS:
        raise LeaderboardError(f"the predictions have {footer.num_columns} columns; send {wanted} only")
    missing = [column for column in wanted if column not in names]
    if missing:
        raise LeaderboardError(f"the predictions lack column(s) {missing}; this board needs {wanted}")
    n_test = len(labels.truth)
    if get_kind(kind).answers_every_unit:
        if footer.num_rows != n_test:
            raise LeaderboardError(f"the predictions have {footer.num_rows} rows; this board's test set has {n_test} samples, one row each")
    elif footer.num_rows > n_test * MAX_RANKED_PER_QUERY:
        raise LeaderboardError(
            f"the predictions have {footer.num_rows} rows; this board's {n_test} queries allow at most {MAX_RANKED_PER_QUERY} ranked documents each"
        )
    positions = [names.index(column) for column in wanted]
    decoded = sum(
        footer.row_group(group).column(position).total_uncompressed_size
        for group in range(footer.num_row_groups)
        for position in positions
    )
    if decoded > max(footer.num_rows, 1) * len(wanted) * MAX_DECODED_BYTES_PER_VALUE:
        raise LeaderboardError(
            f"the predictions' columns decode to {decoded} bytes for {footer.num_rows} rows; "
            f"a sample id or score takes at most {MAX_DECODED_BYTES_PER_VALUE}"
        )
    try:
        return parquet.read(columns=wanted, use_pandas_metadata=False).to_pandas()
    except (pyarrow.ArrowException, OSError, ValueError) as error:
        raise LeaderboardError(f"predictions: not a readable parquet file ({error})") from None


def scores_sha256(frame: "pd.DataFrame") -> str:
    """The content hash of submitted scores, independent of row order and file encoding."""
    ordered = frame.sort_values(list(frame.columns[:2]) if "doc_id" in frame.columns else SAMPLE_ID, kind="stable")
    return sha256_hex(ordered.to_csv(index=False, float_format="%.17g").encode("utf-8"))


def submitted_scores(frame: "pd.DataFrame", labels: HiddenLabels, kind: str) -> "pd.DataFrame":
    """The part of a submitted frame the server keeps: sample ids and the required score columns.

    Refuses a frame without sample ids or a required column, with repeated rows (by the kind's
    `row_keys`) or unknown ids, or missing ids where the kind answers every unit. The refusals
    name counts, never ids: which ids the test set holds is the hospital's to keep.
    """
    from medbench.tasks.registry import get_kind

    spec = get_kind(kind)
    missing = [column for column in (SAMPLE_ID, *labels.required_columns) if column not in frame.columns]
    if missing:
        raise LeaderboardError(f"the predictions lack column(s) {missing}; this board needs {[SAMPLE_ID, *labels.required_columns]}")
    kept = frame[[SAMPLE_ID, *labels.required_columns]].copy()
    kept[SAMPLE_ID] = kept[SAMPLE_ID].astype(str)
    known = set(labels.truth[SAMPLE_ID].astype(str))
    submitted = kept[SAMPLE_ID]
    unknown = set(submitted) - known
    if unknown:
        raise LeaderboardError(f"{len(unknown)} sample id(s) are not in this board's test set")
    repeated = kept.duplicated(list(spec.row_keys))
    if repeated.any():
        duplicated = set(submitted[repeated])
        what = "sample id(s) appear more than once" if spec.row_keys == (SAMPLE_ID,) else f"sample id(s) repeat a row of {list(spec.row_keys)}"
        raise LeaderboardError(f"{len(duplicated)} {what}")
    if not spec.answers_every_unit:
        return kept.reset_index(drop=True)
    absent = known - set(submitted)
    if absent:
        raise LeaderboardError(f"{len(absent)} of the test set's {len(known)} sample ids have no score")
    return kept.reset_index(drop=True)


def outputs_of(scores: "pd.DataFrame", labels: HiddenLabels, kind: str) -> "TaskOutputs":
    """The task outputs the metrics read: the submitted scores joined to the hidden truth, in test-set order."""
    import numpy as np

    from medbench.tasks.outputs import TaskOutputs
    from medbench.tasks.predictions import classification_frame
    from medbench.tasks.registry import classes_of

    if labels.qrels is not None:  # judged per document: the metrics read the ranked scores and the qrels
        return TaskOutputs(scores, labels.qrels)
    truth = labels.keyed_truth
    classes = classes_of(kind)
    if classes is None:
        return TaskOutputs(truth.merge(scores, on=SAMPLE_ID, how="left", validate="one_to_one"))
    score_columns = list(labels.required_columns)
    targets = [column for column in truth.columns if column.startswith("target")]
    metadata = [column for column in truth.columns if column != SAMPLE_ID and column not in targets]
    ordered, rows, merged = _in_truth_order(scores, labels, score_columns)
    try:
        values = ordered.to_numpy(dtype=np.float64)
    except (TypeError, ValueError):
        raise LeaderboardError(f"the score column(s) {score_columns} must hold numbers") from None
    if rows is not None:
        values = values[rows]
    try:
        frame = classification_frame(
            merged[SAMPLE_ID].to_numpy(),
            merged[targets[0]].to_numpy() if classes.exclusive else merged[targets].to_numpy(),
            values[:, 0] if classes.single_score else values,
            kind,
            merged,
            metadata,
        )
    except DataError as error:
        raise LeaderboardError(str(error)) from None
    return TaskOutputs(frame)


def _in_truth_order(scores: "pd.DataFrame", labels: HiddenLabels, columns: list[str]) -> tuple["pd.DataFrame", Any, "pd.DataFrame"]:
    """The score columns, the rows that put them in the truth's order (None where the join put them
    in that order already), and the frame holding the truth's columns in that order.

    Scores with exactly the truth's ids, once each (what the store keeps), are put in order by a
    look-up in the truth's index; anything else goes through the left join with its one-to-one
    check, which gives the same rows for those and keeps its refusals for the rest. The look-up is
    the cheaper way, which a board's render takes once per entry.
    """
    import numpy as np

    truth, index = labels.keyed_truth, labels.truth_index
    ids = scores[SAMPLE_ID]
    if ids.dtype == index.dtype and len(ids) == len(index) and not set(columns) & set(truth.columns) and index.is_unique:
        truth_row = index.get_indexer(ids)  # each score row's row of the truth
        if (truth_row >= 0).all() and (np.bincount(truth_row, minlength=len(index)) == 1).all():  # no id twice
            rows = np.empty(len(truth_row), dtype=np.intp)
            rows[truth_row] = np.arange(len(truth_row))
            return scores[columns], rows, truth
    merged = truth.merge(scores, on=SAMPLE_ID, how="left", validate="one_to_one")
    return merged[columns], None, merged


def score(scores: "pd.DataFrame", labels: HiddenLabels, protocol: "Protocol") -> "Metrics":
    """Every metric of the board's protocol, with intervals and subgroups, computed here."""
    from medbench.errors import MedbenchError
    from medbench.evaluation.scoring import score_outputs

    outputs = outputs_of(scores, labels, protocol.kind)
    try:
        return score_outputs(outputs, protocol)
    except MedbenchError as error:
        raise LeaderboardError(f"the predictions cannot be scored: {error}") from None
