"""The board pages `medbench serve` answers: the public export's rendering, cached per log version.

Every change to the committee's store appends a signed event, so the log's length names a version
of every board. A board is ranked (tiers from the stored scores joined to the hidden labels, as
the export computes them: `publish.committee_tiers`) and rendered once per version by the static
site's own rendering (`views.site.render_board`): its page, its JSON and its CSV, each kept with its
gzip encoding and its ETag, so a GET of an unchanged board costs one count of the log and a
dictionary look-up, and a revalidation with the ETag answers 304 with no body at all.
"""

from __future__ import annotations

import gzip
import hashlib
import threading
from dataclasses import dataclass
from typing import Any

from medbench.leaderboard.committee.store import CommitteeStore


@dataclass(frozen=True)
class Body:
    """One response body, its gzip encoding and its (strong) ETag."""

    content: bytes
    gzipped: bytes
    etag: str
    media_type: str


def _body(text: str, media_type: str) -> Body:
    content = text.encode("utf-8")
    return Body(content, gzip.compress(content, compresslevel=6, mtime=0), f'"{hashlib.sha256(content).hexdigest()[:32]}"', media_type)


class ServedPages:
    """Rendered boards (page, JSON, CSV, index line) by board, each for the log version it was built at."""

    def __init__(self, store: CommitteeStore) -> None:
        self.store = store
        self._boards: dict[str, tuple[int, dict[str, Any]]] = {}
        self._index: tuple[int, Body] | None = None
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def board(self, name: str) -> dict[str, Any]:
        """{"html", "json", "csv": Body, "summary": the index's line} of board `name` at the current version."""
        version = self.store.event_count()
        cached = self._boards.get(name)
        if cached is not None and cached[0] == version:
            return cached[1]
        with self._lock(name):  # concurrent GETs of a new version wait for one render
            cached = self._boards.get(name)
            if cached is None or cached[0] != version:
                cached = (version, self._render(name))
                self._boards[name] = cached
        return cached[1]

    def index(self) -> Body:
        version = self.store.event_count()
        if self._index is None or self._index[0] != version:
            from medbench.leaderboard.board.events import now_utc
            from medbench.leaderboard.views.site import render_index

            summaries = [self.board(name)["summary"] for name in self.store.board_names()]
            self._index = (version, _body(render_index(summaries, now_utc(), lambda board: f"/boards/{board}"), "text/html; charset=utf-8"))
        return self._index[1]

    def _lock(self, name: str) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(name, threading.Lock())

    def _render(self, name: str) -> dict[str, Any]:
        from medbench.leaderboard.board.events import now_utc
        from medbench.leaderboard.board.ranking import rank_entries
        from medbench.leaderboard.board.tiers import released_tiers
        from medbench.leaderboard.committee.publish import committee_tiers
        from medbench.leaderboard.views.site import render_board

        # What the release policy releases, as the export shows it: rounded numbers, the Ladder's
        # held entries without paired tests; full precision stays with the committee.
        spec, entries, events = self.store.spec(name), self.store.released_entries(name), self.store.events(name)
        tiers = released_tiers(
            self.store.policy(name), committee_tiers(self.store, name, spec, entries, events), self.store.withheld(name)
        )
        ranking = rank_entries(spec, entries, events, tiers)
        page = render_board(ranking, now_utc(), index_href="/", download_prefix=f"/api/boards/{name}/")
        return {
            "html": _body(page.page, "text/html; charset=utf-8"),
            "json": _body(page.json, "application/json"),
            "csv": _body(page.csv, "text/csv; charset=utf-8"),
            "summary": page.summary,
            **({"pathways_csv": _body(page.pathways_csv, "text/csv; charset=utf-8")} if page.pathways_csv is not None else {}),
            "files": {
                page.json_name: "json", page.csv_name: "csv", **({page.pathways_csv_name: "pathways_csv"} if page.pathways_csv is not None else {})
            },
        }
