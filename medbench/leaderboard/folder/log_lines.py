"""A folder board's audit log as committed lines: what every reader of the log (the chain check, the
key history, submit's checks) starts from."""

from __future__ import annotations

from pathlib import Path


def committed_lines(log_path: Path) -> list[bytes]:
    """The log's newline-terminated lines (an unterminated last line never committed)."""
    if not log_path.is_file():
        return []
    data = log_path.read_bytes()
    return data[: data.rfind(b"\n") + 1].splitlines()
