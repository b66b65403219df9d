"""A board on disk: `leaderboards/<board>/` with its spec, entries, predictions and audit log.

    board.json                  the comparability spec and the named baseline (`schema.BoardSpec`)
    entries/<sha256>.json       one entry per file, named by the SHA-256 of its exact bytes
    predictions/<sha256>.parquet  the per-sample frames entries reference: predictions (ids, targets,
                                scores) and, for retrieval, qrels (query id, doc id, grade)
    audit.jsonl                 the hash-chained log of every submission and review (`audit`)
    public_key.pem              on a signed board only: the key every event of the log is signed with (`signing`)

Every write is atomic (a temporary file, then `os.replace`) and every change that reads before it
writes happens under a `FileLock` on the board, so many processes can submit at once.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Optional

from filelock import FileLock
from pydantic import ValidationError

from medbench.errors import LeaderboardError
from medbench.io import atomic_write, canonical_bytes, sha256_hex, validation_problems
from medbench.leaderboard.folder import audit
from medbench.leaderboard.board.schema import BoardSpec, Entry
from medbench.names import checked_name

BOARD_FILE = "board.json"
ENTRIES_DIR = "entries"
PREDICTIONS_DIR = "predictions"
AUDIT_FILE = "audit.jsonl"
LOCK_FILE = ".lock"



def board_names(root: Path) -> list[str]:
    """Every board under `root` (folders holding a board file)."""
    return sorted(path.parent.name for path in Path(root).glob(f"*/{BOARD_FILE}"))


class Board:
    """One board folder; reading needs no lock, changing goes through :meth:`locked`."""

    def __init__(self, root: Path, name: str) -> None:
        self.name = checked_name(name, "board name")
        self.path = Path(root) / name

    @property
    def spec_path(self) -> Path:
        return self.path / BOARD_FILE

    @property
    def audit_path(self) -> Path:
        return self.path / AUDIT_FILE

    @property
    def entries_dir(self) -> Path:
        return self.path / ENTRIES_DIR

    @property
    def predictions_dir(self) -> Path:
        return self.path / PREDICTIONS_DIR

    def exists(self) -> bool:
        return self.spec_path.is_file()

    @contextmanager
    def locked(self) -> Iterator[None]:
        self.path.mkdir(parents=True, exist_ok=True)
        with FileLock(str(self.path / LOCK_FILE)):
            yield

    def spec(self) -> BoardSpec:
        if not self.exists():
            raise LeaderboardError(f"{self.path}: no such board (submit a run to create it: `medbench submit RUN_DIR`)")
        return _parse(self.spec_path, BoardSpec)

    def write_spec(self, spec: BoardSpec) -> str:
        """Write the board file; return the SHA-256 of its bytes, which the audit log records."""
        data = canonical_bytes(spec.model_dump(mode="json"))
        atomic_write(self.spec_path, data)
        return sha256_hex(data)

    def entry_path(self, entry_id: str) -> Path:
        return self.entries_dir / f"{checked_name(entry_id, 'entry id')}.json"

    def entry_ids(self) -> list[str]:
        if not self.entries_dir.is_dir():
            return []
        return sorted(name[:-5] for name in os.listdir(self.entries_dir) if name.endswith(".json"))

    def write_entry(self, entry: Entry) -> str:
        """Store `entry` under the hash of its bytes; return that id."""
        data = canonical_bytes(entry.model_dump(mode="json"))
        entry_id = sha256_hex(data)
        atomic_write(self.entry_path(entry_id), data)
        return entry_id

    def read_entry(self, entry_id: str) -> Entry:
        """Read one entry, refusing a file whose bytes no longer match its name."""
        path = self.entry_path(entry_id)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise LeaderboardError(f"{path}: no such entry on board {self.name!r}") from None
        return self._checked_entry(entry_id, data, path)

    def entries(self) -> dict[str, Entry]:
        """Every committed entry by id, each checked against its hash.

        An entry counts once its `submit` event is in the audit log: a file without one is a
        submission interrupted before it committed (or added by hand), ignored here and reported
        by `medbench leaderboard verify`.

        Plain `open` on string paths: on a board of 10,000 entries pathlib's per-file objects
        cost as much as reading the files.
        """
        directory = str(self.entries_dir)
        entries = {}
        committed = audit.submitted_entries(self.audit_path)
        for entry_id in self.entry_ids():
            if entry_id not in committed:
                continue
            path = os.path.join(directory, f"{entry_id}.json")
            with open(path, "rb") as handle:
                entries[entry_id] = self._checked_entry(entry_id, handle.read(), path)
        return entries

    def _checked_entry(self, entry_id: str, data: bytes, path: Path | str) -> Entry:
        if sha256_hex(data) != entry_id:
            raise LeaderboardError(
                f"{path}: the file no longer matches its content hash (it was edited by hand); "
                "run `medbench leaderboard verify` and restore it from version control"
            )
        return _parse(path, Entry, data)

    def resolve(self, prefix: str) -> Optional[str]:
        """The full id of the one entry starting with `prefix`, None when none does."""
        matches = [entry_id for entry_id in self.entry_ids() if entry_id.startswith(prefix)]
        if len(matches) > 1:
            raise LeaderboardError(f"entry {prefix!r} is ambiguous on board {self.name!r}: give more characters")
        return matches[0] if matches else None

    def predictions_path(self, sha256: str) -> Path:
        return self.predictions_dir / f"{checked_name(sha256, 'predictions hash')}.parquet"

    def store_predictions(self, source: Path, sha256: str) -> None:
        """Keep a byte-identical copy of a run's predictions (or qrels) file, once per content."""
        target = self.predictions_path(sha256)
        if not target.is_file():
            atomic_write(target, source.read_bytes())


def _parse(path: Path | str, model: type, data: Optional[bytes] = None):
    data = data if data is not None else Path(path).read_bytes()
    try:
        return model.model_validate_json(data)
    except ValidationError as error:
        if b'"protocol"' not in data and b'"task_version"' in data:
            raise LeaderboardError(
                f"{path}: written by an older medbench (board schema v1, no task protocol); "
                "rebuild the board by resubmitting current records to a new board folder"
            ) from None
        raise LeaderboardError(f"{path}: does not match the {model.__name__} schema: {validation_problems(error)}") from None
