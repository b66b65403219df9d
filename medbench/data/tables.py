"""Reading the tables users have: CSV (any separator, any common encoding), TSV, JSONL and parquet.

Hospital exports rarely look like a tutorial's file: Excel in a French locale writes `;` and
latin-1, pandas writes its index as an unnamed first column, a stray quote breaks a line. This
module reads them all through pandas, sniffing separator and encoding, and turns every failure into
one :class:`DataError` line that names the file, the line or column, and what to do. Every
loader of user files (text, tabular, survival) reads through :func:`read_table`.
"""

from __future__ import annotations

import csv
import io
import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import pandas as pd

from medbench.errors import DataError

log = logging.getLogger(__name__)

DELIMITED = (".csv", ".tsv", ".txt")
SUFFIXES = (*DELIMITED, ".jsonl", ".json", ".parquet")
SEPARATORS = ",;\t|"
# Bytes read to sniff the separator: enough for a header and a few dozen rows.
SNIFF_BYTES = 64 * 1024


@dataclass(frozen=True)
class Dialect:
    """How a delimited file was read, for the log and for error messages."""

    separator: str
    encoding: str
    index_column: bool  # a first column with an empty header: the index pandas writes by default


def read_table(path: Path, strings: bool = False) -> pd.DataFrame:
    """The file at `path` as a frame; `strings=True` keeps every CSV cell as text (ids keep leading zeros).

    Column types are otherwise inferred by pandas; empty cells become missing values.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: no such file")
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise DataError(f"{path}: unknown table file type {path.suffix!r}; use one of {list(SUFFIXES)}")
    if path.stat().st_size == 0:
        raise DataError(f"{path}: the file is empty")
    if suffix in DELIMITED:
        frame = _read_delimited(path, strings)
    elif suffix == ".parquet":
        frame = _read_parquet(path)
    else:
        frame = _read_json(path, strings)
    if len(frame) == 0:
        raise DataError(f"{path}: the file has no rows")
    return frame


def table_columns(path: Path) -> Optional[list[str]]:
    """The column names of the table at `path` from its header alone (a parquet file's schema);
    None for JSON, whose columns only its rows tell."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: no such file")
    if path.stat().st_size == 0:
        raise DataError(f"{path}: the file is empty")
    suffix = path.suffix.lower()
    if suffix in DELIMITED:
        return _header(path, sniff_dialect(path))
    if suffix == ".parquet":
        import pyarrow.parquet as pq

        try:
            return list(pq.read_schema(path).names)
        except (OSError, ValueError) as error:
            raise DataError(f"{path}: not a readable parquet file ({error})") from None
    return None


def sniff_dialect(path: Path) -> Dialect:
    """Encoding (UTF-8, cp1252 or latin-1), separator and pandas index column of a delimited file."""
    raw = path.read_bytes()[:SNIFF_BYTES]
    encoding = _encoding(path, raw)
    sample = raw.decode(encoding, errors="replace")
    if path.suffix.lower() == ".tsv":
        separator = "\t"
    else:
        try:
            separator = csv.Sniffer().sniff(sample, delimiters=SEPARATORS).delimiter
        except csv.Error:
            separator = ","
    header = next(csv.reader(io.StringIO(sample), delimiter=separator), [])
    return Dialect(separator, encoding, index_column=bool(header) and header[0].strip() == "")


def _encoding(path: Path, raw: bytes) -> str:
    """UTF-8 when the whole file decodes as such; else the Windows Western code page; else latin-1.

    Statistical detectors (charset-normalizer) guess exotic code pages on short files; hospital
    exports that are not UTF-8 are, in practice, Excel's cp1252 or ISO latin-1.
    """
    data = path.read_bytes()
    for encoding in ("utf-8", "cp1252"):
        try:
            data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if encoding == "utf-8":
            return "utf-8-sig" if raw.startswith(b"\xef\xbb\xbf") else "utf-8"
        log.info("%s is not UTF-8; reading it as %s", path, encoding)
        return encoding
    log.info("%s is neither UTF-8 nor cp1252; reading it as latin-1", path)
    return "latin-1"


def _read_delimited(path: Path, strings: bool) -> pd.DataFrame:
    dialect = sniff_dialect(path)
    header = _header(path, dialect)
    if dialect.index_column:
        log.info("%s: the first column has no header (a pandas index); it is dropped", path)
    try:
        frame = pd.read_csv(
            path,
            sep=dialect.separator,
            encoding=dialect.encoding,
            dtype=str if strings else None,
            keep_default_na=not strings,
            index_col=0 if dialect.index_column else None,
        )
    except pd.errors.ParserError as error:
        raise DataError(f"{path}: {_parser_problem(error)}; {_dialect_hint(dialect)}") from None
    except (UnicodeDecodeError, ValueError) as error:
        raise DataError(f"{path}: cannot read it ({_dialect_hint(dialect)}): {error}") from None
    frame = frame.reset_index(drop=True)
    frame.columns = header
    return frame


def _header(path: Path, dialect: Dialect) -> list[str]:
    with open(path, newline="", encoding=dialect.encoding) as handle:
        header = next(csv.reader(handle, delimiter=dialect.separator), [])
    header = [name.strip() for name in (header[1:] if dialect.index_column else header)]
    if "" in header:
        raise DataError(f"{path}: column {header.index('') + 1 + dialect.index_column} of the header is empty; name it")
    repeated = sorted({name for name in header if header.count(name) > 1})
    if repeated:
        raise DataError(f"{path}: the header repeats column name(s) {repeated}; rename them")
    return header


def _parser_problem(error: Exception) -> str:
    """pandas' C-parser message, reworded: `Expected 3 fields in line 5, saw 4` names the line."""
    text = str(error).strip()
    match = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", text)
    if match:
        expected, line, seen = match.groups()
        return f"line {line} has {seen} fields where the header has {expected}"
    return text.removeprefix("Error tokenizing data. C error: ")


def _dialect_hint(dialect: Dialect) -> str:
    return (
        f"read with separator {dialect.separator!r} and encoding {dialect.encoding}; "
        "check the separator and quoting of that line (a text with the separator must be quoted)"
    )


def _read_parquet(path: Path) -> pd.DataFrame:
    try:
        frame = pd.read_parquet(path)
    except Exception as error:  # pyarrow raises its own types for every kind of damage
        raise DataError(f"{path}: cannot read it as parquet: {type(error).__name__}: {error}") from None
    if frame.index.name is not None or not isinstance(frame.index, pd.RangeIndex):
        frame = frame.reset_index(drop=frame.index.name is None)
    return frame


def _read_json(path: Path, strings: bool) -> pd.DataFrame:
    lines = path.suffix.lower() == ".jsonl" or _looks_like_lines(path)
    try:
        frame = pd.read_json(path, lines=lines, dtype=False if strings else True, encoding="utf-8")
    except ValueError as error:
        where = _bad_json_line(path) if lines else ""
        raise DataError(f"{path}: cannot read it as {'jsonl' if lines else 'json'}{where}: {error}") from None
    return frame


def _looks_like_lines(path: Path) -> bool:
    with open(path, encoding="utf-8", errors="replace") as handle:
        return handle.read(1).strip() != "["


def _bad_json_line(path: Path) -> str:
    import json

    with open(path, encoding="utf-8", errors="replace") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                json.loads(line)
            except json.JSONDecodeError:
                return f" (line {number} is not a JSON object)"
    return ""
