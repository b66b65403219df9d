"""One set of committee operations for the CLI, over HTTP (`--server URL`) or on an embedded store
(`--db URL`). Both authenticate with the token in MEDBENCH_TOKEN; the store decides who acts.

Submissions are content-addressed on the server, so the HTTP client retries a submission whose
answer was lost (connection dropped, server restarted) without ever adding it twice.
"""

from __future__ import annotations

import base64
import os
import time
from pathlib import Path
from typing import Any, Optional, Protocol

from medbench.errors import LeaderboardError
from medbench.tasks.columns import SAMPLE_ID

RETRIES = 8  # connection failures (a server restarting): about a minute of backoff in all
SERVER_ERROR_RETRIES = 2
BACKOFF_S = 0.25
TIMEOUT_S = 120.0


class Committee(Protocol):
    def submit(self, board: str, frame: Any, meta: dict[str, Any]) -> dict[str, Any]: ...
    def board_json(self, board: str) -> str: ...
    def review(self, prefix: str, decision: str, note: str) -> dict[str, Any]: ...
    def reproduce(self, prefix: str, frame: Any, tolerance: Optional[float]) -> dict[str, Any]: ...
    def baseline(self, board: str, prefix: str, note: str) -> dict[str, Any]: ...
    def board_names(self) -> list[str]: ...
    def spec(self, board: str) -> Any: ...


def token() -> Optional[str]:
    return os.environ.get("MEDBENCH_TOKEN") or None


def open_committee(server: Optional[str], db: Optional[str], key: Path) -> Committee:
    if server:
        return HttpCommittee(server, token())
    if db:
        return LocalCommittee(db, key, token())
    raise LeaderboardError("no committee store: pass --server URL (or MEDBENCH_SERVER) or --db URL (or MEDBENCH_DB)")


class LocalCommittee:
    """The embedded store, in this process (the same checks and scoring as the server)."""

    def __init__(self, db: str, key: Path, api_token: Optional[str]) -> None:
        from medbench.leaderboard.committee.store import CommitteeStore

        self.store = CommitteeStore(db, key)
        self._token = api_token

    def _user(self) -> Any:
        return self.store.authenticate(self._token)

    def submit(self, board: str, frame: Any, meta: dict[str, Any]) -> dict[str, Any]:
        from dataclasses import asdict

        return asdict(self.store.submit(board, frame, meta, self._user()))

    def board_json(self, board: str) -> str:
        from medbench.leaderboard.board.ranking import rank_entries
        from medbench.leaderboard.views.site import ranking_json

        return ranking_json(rank_entries(self.store.spec(board), self.store.released_entries(board), self.store.events(board)))

    def review(self, prefix: str, decision: str, note: str) -> dict[str, Any]:
        from dataclasses import asdict

        return asdict(self.store.review(prefix, decision, note, self._user()))

    def reproduce(self, prefix: str, frame: Any, tolerance: Optional[float]) -> dict[str, Any]:
        from dataclasses import asdict

        return asdict(self.store.record_reproduction(prefix, frame, self._user(), tolerance=tolerance))

    def baseline(self, board: str, prefix: str, note: str) -> dict[str, Any]:
        from dataclasses import asdict

        return asdict(self.store.set_baseline(board, prefix, note, self._user()))

    def board_names(self) -> list[str]:
        return self.store.board_names()

    def spec(self, board: str) -> Any:
        return self.store.spec(board)


class HttpCommittee:
    """The service at `base_url`."""

    def __init__(self, base_url: str, api_token: Optional[str]) -> None:
        import httpx

        headers = {"Authorization": f"Bearer {api_token}"} if api_token else {}
        self._client = httpx.Client(base_url=base_url.rstrip("/"), headers=headers, timeout=TIMEOUT_S)
        self._base = base_url

    def _request(self, method: str, path: str, **options: Any) -> Any:
        """Send, retrying what never got an answer (every POST here is safe to repeat)."""
        import httpx

        for attempt in range(RETRIES):
            try:
                response = self._client.request(method, path, **options)
            except httpx.TransportError as error:
                if attempt == RETRIES - 1:
                    raise LeaderboardError(f"{self._base}: no answer after {RETRIES} tries ({error}); is `medbench serve` running?") from None
                time.sleep(BACKOFF_S * 2**attempt)
                continue
            if response.status_code >= 500 and attempt < SERVER_ERROR_RETRIES:
                time.sleep(BACKOFF_S * 2**attempt)
                continue
            if response.status_code >= 400:
                try:
                    detail = response.json().get("detail")
                except ValueError:
                    detail = response.text
                raise LeaderboardError(f"{self._base}: {detail} (HTTP {response.status_code})")
            return response
        raise AssertionError("unreachable")

    def submit(self, board: str, frame: Any, meta: dict[str, Any]) -> dict[str, Any]:
        return self._request("POST", f"/boards/{board}/submissions", json={"meta": meta, "predictions": _encoded(frame)}).json()

    def board_json(self, board: str) -> str:
        return self._request("GET", f"/boards/{board}").text

    def review(self, prefix: str, decision: str, note: str) -> dict[str, Any]:
        return self._request("POST", f"/entries/{prefix}/review", json={"decision": decision, "note": note}).json()

    def reproduce(self, prefix: str, frame: Any, tolerance: Optional[float]) -> dict[str, Any]:
        body = {"predictions": _encoded(frame), "tolerance": tolerance}
        return self._request("POST", f"/entries/{prefix}/reproductions", json=body).json()

    def baseline(self, board: str, prefix: str, note: str) -> dict[str, Any]:
        return self._request("POST", f"/boards/{board}/baseline", json={"entry": prefix, "note": note}).json()

    def board_names(self) -> list[str]:
        return [str(name) for name in self._request("GET", "/boards").json()]

    def spec(self, board: str) -> Any:
        from medbench.leaderboard.board.schema import BoardSpec

        return BoardSpec.model_validate(self._request("GET", f"/boards/{board}").json()["board"])


def _encoded(frame: Any) -> str:
    from medbench.leaderboard.committee.hidden import public_columns, to_parquet

    return base64.b64encode(to_parquet(public_columns(frame))).decode("ascii")


def record_submission(run_dir: Path) -> tuple[Any, dict[str, Any], str]:
    """A run record's scores (no targets), its description (`board.entries.run_description`), and its task name."""
    from medbench.leaderboard.board.entries import checked_record, run_description

    record = checked_record(run_dir)
    return record.predictions(), run_description(record), record.protocol.name


def file_submission(path: Path, model: str) -> tuple[Any, dict[str, Any]]:
    """A partner's predictions file (parquet or CSV: sample_id and score columns)."""
    import pandas as pd

    from medbench.leaderboard.committee.hidden import read_parquet

    if not path.is_file():
        raise LeaderboardError(f"{path}: no such predictions file")
    if path.suffix == ".csv":
        try:
            frame = pd.read_csv(path, dtype={SAMPLE_ID: str})
        except (ValueError, pd.errors.ParserError) as error:
            raise LeaderboardError(f"{path}: not a readable CSV file ({error})") from None
    else:
        frame = read_parquet(path.read_bytes(), str(path))
    return frame, {"model_target": model}


def ranking_from_json(text: str) -> Any:
    """The Ranking a board's JSON (`site.board_json`) describes, for the terminal table."""
    import json

    from medbench.leaderboard.board.ranking import Ranking, Row
    from medbench.leaderboard.board.schema import BoardSpec, Entry
    from medbench.leaderboard.board.tiers import BaselineTest

    data = json.loads(text)
    rows = [
        Row(
            entry_id=item["entry_id"], entry=Entry.model_validate(item["entry"]), state=item["review"], stale=item["stale"],
            is_baseline=item["baseline"], rank=item["rank"], delta=item["delta_baseline"], tier=item["tier"],
            versus_baseline=BaselineTest(**item["versus_baseline"]) if item["versus_baseline"] else None,
        )
        for item in data["entries"]
    ]
    section = {item["entry_id"]: item["section"] for item in data["entries"]}
    return Ranking(
        spec=BoardSpec.model_validate(data["board"]),
        current=[row for row in rows if section[row.entry_id] == "ranked"],
        stale=[row for row in rows if section[row.entry_id] == "stale"],
        rejected=[row for row in rows if section[row.entry_id] == "rejected"],
        history={},
        tiers_note=data["tiers"],
    )
