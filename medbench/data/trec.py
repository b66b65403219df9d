"""TREC qrels and run files, read into (and written from) the retrieval frames of a run record.

qrels  ``qid iter docid relevance``       -> frame sample_id, doc_id, relevance (int)
run    ``qid Q0 docid rank score tag``    -> frame sample_id, doc_id, score, rank

Fields are separated by any whitespace. Ids stay strings (``"007"`` is not ``7``). The run's
`rank` column is kept as written; like trec_eval, medbench's metrics ignore it and order each
query's documents by score (ties: document id descending). Malformed files raise
:class:`DataError` naming the file and the first bad line; a document listed twice for one query
is refused, as trec_eval refuses it.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from medbench.errors import DataError
from medbench.tasks.columns import DOC_ID as DOC
from medbench.tasks.columns import RANK, RELEVANCE, SCORE
from medbench.tasks.columns import SAMPLE_ID as QUERY


_QRELS_FIELDS = ("query", "iteration", "document", "relevance")
_RUN_FIELDS = ("query", "Q0", "document", "rank", "score", "tag")


def read_qrels(path: str | Path) -> pd.DataFrame:
    """A TREC qrels file as a frame sample_id, doc_id, relevance."""
    raw = _read_fields(Path(path), _QRELS_FIELDS, {"relevance": _is_int})
    frame = pd.DataFrame(
        {QUERY: raw["query"], DOC: raw["document"], RELEVANCE: raw["relevance"].astype(np.int64)}
    )
    _refuse_duplicates(frame, Path(path), "judgment")
    return frame


def read_run(path: str | Path) -> pd.DataFrame:
    """A TREC run file as a frame sample_id, doc_id, score, rank (the rank as written)."""
    raw = _read_fields(Path(path), _RUN_FIELDS, {"rank": _is_int, "score": _is_float})
    frame = pd.DataFrame(
        {
            QUERY: raw["query"],
            DOC: raw["document"],
            SCORE: raw["score"].astype(np.float64),
            RANK: raw["rank"].astype(np.int64),
        }
    )
    _refuse_duplicates(frame, Path(path), "retrieved document")
    return frame


def write_qrels(frame: pd.DataFrame, path: str | Path) -> None:
    """Write sample_id, doc_id, relevance as a TREC qrels file."""
    out = pd.DataFrame({"q": frame[QUERY], "it": 0, "d": frame[DOC], "r": frame[RELEVANCE].astype(np.int64)})
    out.to_csv(path, sep=" ", header=False, index=False)


def write_run(frame: pd.DataFrame, path: str | Path, tag: str = "medbench") -> None:
    """Write sample_id, doc_id, score, rank as a TREC run file (scores at full precision)."""
    out = pd.DataFrame(
        {"q": frame[QUERY], "Q0": "Q0", "d": frame[DOC], "rank": frame[RANK].astype(np.int64), "s": frame[SCORE], "t": tag}
    )
    out.to_csv(path, sep=" ", header=False, index=False, float_format="%.17g")


def _is_int(text: str) -> bool:
    try:
        int(text)
        return True
    except ValueError:
        return False


def _is_float(text: str) -> bool:
    try:
        return np.isfinite(float(text))
    except ValueError:
        return False


def _read_fields(path: Path, fields: tuple[str, ...], checks: dict[str, Callable[[str], bool]]) -> pd.DataFrame:
    """Whitespace-separated columns, all as strings; DataError at the first malformed line."""
    if not path.is_file():
        raise DataError(f"{path}: no such file")
    try:
        with warnings.catch_warnings():
            # pandas only warns when a line has more fields than the format: make it an error.
            warnings.simplefilter("error", pd.errors.ParserWarning)
            raw = pd.read_csv(
                path, sep=r"\s+", header=None, names=list(fields), index_col=False, dtype=str, engine="c",
                keep_default_na=False, na_filter=False, skip_blank_lines=True,
            )
    except (pd.errors.ParserError, pd.errors.ParserWarning, UnicodeDecodeError, ValueError):
        raise DataError(_first_bad_line(path, fields, checks)) from None
    except pd.errors.EmptyDataError:
        return pd.DataFrame({name: pd.Series([], dtype=str) for name in fields})
    complete = (raw[list(fields)] != "").all(axis=1)
    parsed = {name: pd.to_numeric(raw[name], errors="coerce") for name in checks}
    valid = complete.to_numpy() & np.logical_and.reduce([np.isfinite(v.to_numpy(dtype=np.float64)) for v in parsed.values()])
    for name, check in checks.items():
        if check is _is_int:
            numbers = parsed[name].to_numpy(dtype=np.float64)
            valid &= np.isfinite(numbers) & (numbers == np.round(numbers))
    if not valid.all():
        raise DataError(_first_bad_line(path, fields, checks))
    for name in checks:
        raw[name] = parsed[name]
    return raw


def _first_bad_line(path: Path, fields: tuple[str, ...], checks: dict[str, Callable[[str], bool]]) -> str:
    """The message naming the first line that is not `fields` (a slow scan, only once a problem is known)."""
    expected = " ".join(fields)
    with open(path, encoding="utf-8", errors="replace") as handle:
        for number, line in enumerate(handle, start=1):
            parts = line.split()
            if not parts:
                continue
            if len(parts) != len(fields):
                return f"{path}, line {number}: expected {len(fields)} fields ({expected}), found {len(parts)}: {line.strip()[:200]!r}"
            for name, check in checks.items():
                value = parts[fields.index(name)]
                if not check(value):
                    return f"{path}, line {number}: field {name!r} is not a valid number: {value!r}"
    return f"{path}: not a valid file of fields {expected}"


def _refuse_duplicates(frame: pd.DataFrame, path: Path, what: str) -> None:
    duplicated = frame.duplicated([QUERY, DOC])
    if duplicated.any():
        row = int(np.flatnonzero(duplicated.to_numpy())[0])
        query, doc = frame[QUERY].iloc[row], frame[DOC].iloc[row]
        raise DataError(f"{path}: {what} {doc!r} of query {query!r} is listed twice (e.g. data row {row + 1})")
