"""Errors that users act on.

Every medbench error says what was wrong, where (config key, file, line) and what to do. The CLI
prints these without a stack trace; anything else is a bug and keeps its traceback.
"""


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
