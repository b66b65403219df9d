"""Errors that users act on.

Every medbench error says what was wrong, where (config key, file, line) and what to do. The CLI
prints any error as one line and exits 2; `medbench --debug ...` (or MEDBENCH_DEBUG=1) keeps the
traceback, for bugs.
"""

import os


class MedbenchError(Exception):
    """Base class for errors caused by the user's input rather than by medbench itself."""


class ConfigError(MedbenchError):
    """A composed config is incomplete or inconsistent."""


class DataError(MedbenchError):
    """A data file is missing, malformed or inconsistent with the task."""


class RecordError(MedbenchError):
    """A run record is missing, incomplete, corrupt or of an unknown schema."""


class LeaderboardError(MedbenchError):
    """A board is missing or damaged, or a submission or review was refused (the message says why)."""


class Cancelled(Exception):
    """Work stopped on purpose (a server shutting down stops its renders): no fault of the input,
    so not a MedbenchError, which a caller would turn into a message about the input."""


DEBUG_VARIABLE = "MEDBENCH_DEBUG"


def debugging() -> bool:
    """Whether the user asked for tracebacks (`medbench --debug`, which sets MEDBENCH_DEBUG=1)."""
    return os.environ.get(DEBUG_VARIABLE, "") not in ("", "0")


def one_line(error: BaseException) -> str:
    """`error` as one line: a medbench error's own message, else its type and first line."""
    text = str(error).strip()
    first = text.splitlines()[0] if text else ""
    if isinstance(error, MedbenchError):
        return first or type(error).__name__
    return f"{type(error).__name__}: {first} (run with --debug for the traceback)" if first else type(error).__name__
