"""The board pages `medbench serve` answers: the public export's rendering, cached per log version.

Every change to the committee's store appends a signed event, so the log's length names a version
of every board. A board is ranked (tiers from the stored scores joined to the hidden labels, as
the export computes them: `publish.committee_tiers`) and rendered once per version by the static
site's own rendering (`views.site.render_board`): its page, its JSON and its CSV, each kept with its
gzip encoding and its ETag, so a GET of an unchanged board costs one count of the log and a
dictionary look-up, and a revalidation with the ETag answers 304 with no body at all.

No reader waits for a big board's render. A board of at most `SYNC_ENTRIES` entries renders in
the request that finds it out of date (under a second the first time, and always current).
A bigger one renders in one background thread per board, while its readers get the version
rendered last, marked stale (`X-Medbench-Stale`, and a banner on the page naming its log
version; the banner changes the page, so its ETag too); a big board never rendered yet answers
503 with Retry-After. Each board keeps its paired tests between renders (`tiers.PairedTests`;
entry ids are content hashes), so a render after one new entry tests only that entry's pairs.
Only one render of a board runs at a time; `close` cancels running renders and joins their threads.
"""

from __future__ import annotations

import gzip
import hashlib
import logging
import threading
from dataclasses import dataclass, field, replace
from typing import Any, Optional

from medbench.errors import Cancelled, LeaderboardError
from medbench.leaderboard.committee.store import CommitteeStore

# Entries up to which a board renders in the request that finds it out of date. Its first render
# costs some 6 ms an entry on two shared cores (benchmarks/bench_service_render.py): 0.7 s at 100
# entries, which a reader may wait once; later renders reuse the kept tests (0.06 s at 100 entries).
# Bigger boards render in the background.
SYNC_ENTRIES = 100
RETRY_AFTER_S = 5
JOIN_TIMEOUT_S = 10.0
LOG = logging.getLogger("medbench.pages")


class Rendering(LeaderboardError):
    """A board rendered for the first time in the background: ask again after `retry_after` seconds."""

    def __init__(self, board: str, retry_after: int = RETRY_AFTER_S) -> None:
        super().__init__(f"board {board!r} is being rendered for the first time; retry in {retry_after} s")
        self.retry_after = retry_after


@dataclass(frozen=True)
class Body:
    """One response body, its gzip encoding, its (strong) ETag, and the log version it shows."""

    content: bytes
    gzipped: bytes
    etag: str
    media_type: str
    version: int = 0
    stale: bool = False  # the log has moved on since `version`; a newer rendering is under way


def _body(text: str, media_type: str, version: int) -> Body:
    content = text.encode("utf-8")
    return Body(content, gzip.compress(content, compresslevel=6, mtime=0), f'"{hashlib.sha256(content).hexdigest()[:32]}"', media_type, version)


@dataclass(frozen=True)
class RenderedBoard:
    """A board as rendered at one log version: "html", "json", "csv" (and "pathways_csv") bodies, its index line, its download names."""

    version: int
    bodies: dict[str, Body]
    summary: dict[str, Any]
    files: dict[str, str] = field(default_factory=dict)
    stale: bool = False

    def as_stale(self) -> "RenderedBoard":
        """The same numbers marked stale: the page with a banner naming its log version (so a new ETag), the downloads as they were."""
        html = self.bodies["html"]
        banner = (
            f'<p id="stale-banner" role="status" style="background:#fff4ce;border:1px solid #d8b84a;padding:.5em 1em">'
            f"This page shows the board at log version {self.version}; it has changed since, and the new version is "
            f"being rendered. Reload in a few seconds.</p>"
        )
        page = html.content.decode("utf-8").replace("<body>", "<body>\n" + banner, 1)
        bodies = {kind: replace(body, stale=True) for kind, body in self.bodies.items()}
        bodies["html"] = replace(_body(page, html.media_type, self.version), stale=True)
        return replace(self, bodies=bodies, stale=True)


class ServedPages:
    """Rendered boards by name, each for the log version it was built at (see the module docstring)."""

    def __init__(self, store: CommitteeStore, *, sync_entries: int = SYNC_ENTRIES) -> None:
        self.store = store
        self.sync_entries = sync_entries
        self._boards: dict[str, RenderedBoard] = {}
        self._stale: dict[str, RenderedBoard] = {}  # each board's last rendering marked stale, made once
        self._tests: dict[str, Any] = {}  # board → its `PairedTests`, kept between renders
        self._index: Optional[tuple[Any, Body]] = None
        self._locks: dict[str, threading.Lock] = {}
        self._threads: dict[str, threading.Thread] = {}
        self._guard = threading.Lock()
        self._closed = False

    def board(self, name: str) -> RenderedBoard:
        """Board `name` at the current version; else its last rendering, marked stale, while a newer one renders."""
        version = self.store.event_count()
        shown = self._boards.get(name)
        if shown is not None and shown.version == version:
            return shown
        if self.store.entry_count(name) <= self.sync_entries:
            return self._render_now(name, version)
        self._render_in_background(name)
        if shown is None:
            raise Rendering(name)
        stale = self._stale.get(name)
        if stale is None or stale.version != shown.version:
            stale = self._stale[name] = shown.as_stale()
        return stale

    def index(self) -> Body:
        """The index of boards, from each board's latest rendering (stale when one of them is)."""
        boards = [self.board(name) for name in self.store.board_names()]
        key = tuple((board.version, board.stale) for board in boards)
        if self._index is None or self._index[0] != key:
            from medbench.leaderboard.board.events import now_utc
            from medbench.leaderboard.views.site import render_index

            page = render_index([board.summary for board in boards], now_utc(), lambda board: f"/boards/{board}")
            version = min((board.version for board in boards), default=self.store.event_count())
            self._index = (key, replace(_body(page, "text/html; charset=utf-8", version), stale=any(board.stale for board in boards)))
        return self._index[1]

    def close(self) -> None:
        """Stop: cancel the renders under way and wait for their threads (no thread outlives the service)."""
        with self._guard:
            self._closed = True
            threads = list(self._threads.values())
            for tests in self._tests.values():
                tests.cancel()
        for thread in threads:
            thread.join(JOIN_TIMEOUT_S)

    def rendering(self) -> list[str]:
        """The boards whose background render is under way."""
        with self._guard:
            return sorted(name for name, thread in self._threads.items() if thread.is_alive())

    def _lock(self, name: str) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(name, threading.Lock())

    def _render_now(self, name: str, version: int) -> RenderedBoard:
        with self._lock(name):  # concurrent requests of a new version wait for one render
            shown = self._boards.get(name)
            if shown is None or shown.version < version:
                shown = self._render(name, version)
                self._boards[name] = shown
        return shown

    def _render_in_background(self, name: str) -> None:
        """Start the board's render thread unless it runs already (it renders until the board is current)."""
        with self._guard:
            if self._closed or (name in self._threads and self._threads[name].is_alive()):
                return
            thread = threading.Thread(target=self._catch_up, args=(name,), name=f"render-{name}", daemon=True)
            self._threads[name] = thread
            thread.start()

    def _catch_up(self, name: str) -> None:
        try:
            while not self._closed:
                version = self.store.event_count()
                shown = self._boards.get(name)
                if shown is not None and shown.version >= version:
                    return
                self._render_now(name, version)
        except Cancelled:
            return
        except Exception:  # the thread ends; the board's next request starts another render
            LOG.exception("rendering board %r failed", name)

    def _render(self, name: str, version: int) -> RenderedBoard:
        from medbench.leaderboard.board.events import now_utc
        from medbench.leaderboard.board.ranking import rank_entries
        from medbench.leaderboard.board.tiers import released_tiers
        from medbench.leaderboard.committee.publish import committee_tests, committee_tiers
        from medbench.leaderboard.views.site import render_board

        # What the release policy releases, as the export shows it: rounded numbers, the Ladder's
        # held entries without paired tests; full precision stays with the committee.
        spec, entries, events = self.store.spec(name), self.store.released_entries(name), self.store.events(name)
        with self._guard:
            tests = self._tests.get(name)
            if tests is None or not tests.fits(spec):
                tests = self._tests[name] = committee_tests(self.store, name, spec)
                if self._closed:
                    tests.cancel()
        tests.keep_only(entries)
        tiers = released_tiers(
            self.store.policy(name), committee_tiers(self.store, name, spec, entries, events, tests), self.store.withheld(name)
        )
        ranking = rank_entries(spec, entries, events, tiers)
        page = render_board(ranking, now_utc(), index_href="/", download_prefix=f"/api/boards/{name}/")
        bodies = {
            "html": _body(page.page, "text/html; charset=utf-8", version),
            "json": _body(page.json, "application/json", version),
            "csv": _body(page.csv, "text/csv; charset=utf-8", version),
        }
        files = {page.json_name: "json", page.csv_name: "csv"}
        if page.pathways_csv is not None:
            bodies["pathways_csv"] = _body(page.pathways_csv, "text/csv; charset=utf-8", version)
            files[page.pathways_csv_name] = "pathways_csv"
        return RenderedBoard(version, bodies, page.summary, files)
