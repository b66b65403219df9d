"""The HTTP service. Reading public aggregates needs no token; everything else authenticates.

    GET  /                               the index of boards (HTML, as the static site's)
    GET  /health                         liveness
    GET  /boards                         board names
    GET  /boards/{board}                 the board's page to a browser (Accept: text/html), else its JSON (released numbers)
    GET  /api/boards/{board}             the ranked board as JSON: spec, entries' released aggregates, tiers, review history
    GET  /api/boards/{board}/{board}.csv, .json   the page's downloads
    GET  /entries/{prefix}               one entry's released aggregates and its events
    GET  /log?since=N, /head, /public-key   the signed audit log, its signed head, the current key (PEM;
                                         to Accept: application/json, also the key history)
    POST /boards/{board}/submissions     {"meta": {...}, "predictions": base64 parquet}  (submitter)
    POST /boards/{board}/baseline        {"entry": id, "note": ...}                      (reviewer)
    POST /entries/{prefix}/reproductions {"predictions": base64 parquet, "tolerance": x} (reviewer; match or not)
    POST /entries/{prefix}/review        {"decision": "approve"|"reject", "note": ...}  (reviewer)

Board pages and their JSON are rendered once per log version (`pages`, tiers included), answered
gzip-encoded to clients that accept it and with an ETag (If-None-Match: 304); other answers go
through Starlette's GZipMiddleware. A big board renders in the background: meanwhile its last
rendering is answered marked stale, and a board never rendered yet answers 503 with Retry-After.

Every number answered is what the board's release policy releases (`board.release`): rounded,
and under the Ladder rule. Errors answer {"detail": one actionable line}: 401 without a valid
token, 403 for a role or team that may not act, 404 for an unknown board or entry, 413 for a body
over `limits.MAX_BODY_BYTES`, 429 past the daily quota (of submissions, or of a reviewer's
reproductions), 422 otherwise; none names a hidden sample id.

Work is refused in the order it costs: the token from the headers and the body's size before the
body is read (`limits.GuardedBodies`), role, team and quota before the predictions are decoded,
and the parquet footer's row count and columns before a page of it is (`hidden.read_submission`).
"""

from __future__ import annotations

import base64
import binascii
import errno
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import asdict
from typing import Any, Optional

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from pydantic import BaseModel, Field

from medbench.errors import MedbenchError
from medbench.io import validation_problems
from medbench.leaderboard.board.entries import RunDescription
from medbench.leaderboard.committee.access_log import AccessLog
from medbench.leaderboard.committee.limits import MAX_BODY_BYTES, GuardedBodies
from medbench.leaderboard.committee.store import CommitteeStore, Forbidden, NotFound, QuotaExceeded, Unauthenticated, User

STATUS = ((Unauthenticated, 401), (Forbidden, 403), (NotFound, 404), (QuotaExceeded, 429))


class Submission(BaseModel):
    meta: RunDescription = Field(default_factory=RunDescription)
    predictions: str = Field(max_length=MAX_BODY_BYTES)


class Reproduction(BaseModel):
    predictions: str = Field(max_length=MAX_BODY_BYTES)
    tolerance: Optional[float] = None  # the board's own (its release policy) when not given; never looser


class Decision(BaseModel):
    decision: str
    note: str


class Baseline(BaseModel):
    entry: str
    note: str


def create_app(store: CommitteeStore, *, sync_entries: Optional[int] = None) -> FastAPI:
    """The service on `store`; boards of more than `sync_entries` entries render in the background (`pages.SYNC_ENTRIES`)."""
    from starlette.middleware.gzip import GZipMiddleware

    from medbench.leaderboard.committee.pages import SYNC_ENTRIES, Rendering, ServedPages

    pages = ServedPages(store, sync_entries=SYNC_ENTRIES if sync_entries is None else sync_entries)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        pages.close()  # shutdown: the background renders stop, their threads are joined

    app = FastAPI(title="medbench committee", docs_url=None, redoc_url=None, lifespan=lifespan)
    app.state.pages = pages
    app.add_middleware(GZipMiddleware, minimum_size=1000)
    app.add_middleware(GuardedBodies, authenticate=store.authenticate, max_bytes=MAX_BODY_BYTES)
    app.add_middleware(AccessLog)  # added last: the outermost, it logs refusals made by the guard too

    @app.exception_handler(RequestValidationError)
    async def _malformed(_request: Request, error: RequestValidationError) -> JSONResponse:
        """One line naming the fields, never echoing what was sent (a 20 MB `meta.name` stays on the client)."""
        return JSONResponse({"detail": validation_problems(error)}, status_code=422)

    @app.exception_handler(MedbenchError)
    async def _refused(_request: Request, error: MedbenchError) -> JSONResponse:
        if isinstance(error, Rendering):
            return JSONResponse({"detail": str(error)}, status_code=503, headers={"Retry-After": str(error.retry_after)})
        status = next((code for kind, code in STATUS if isinstance(error, kind)), 422)
        return JSONResponse({"detail": str(error)}, status_code=status)

    def actor(request: Request) -> User:
        """The user `GuardedBodies` authenticated from the headers, before the body was read."""
        return request.state.user

    @app.get("/health")
    def health() -> dict[str, Any]:
        return {"ok": True}

    @app.get("/boards")
    def boards() -> list[str]:
        return store.board_names()

    @app.get("/")
    def index(request: Request) -> Response:
        return _answer(request, pages.index())

    @app.get("/boards/{board}")
    def board(board: str, request: Request) -> Response:
        wants_page = "text/html" in request.headers.get("accept", "")
        return _answer(request, pages.board(board).bodies["html" if wants_page else "json"])

    @app.get("/api/boards/{board}")
    def board_json(board: str, request: Request) -> Response:
        return _answer(request, pages.board(board).bodies["json"])

    @app.get("/api/boards/{board}/{download}")
    def board_download(board: str, download: str, request: Request) -> Response:
        rendered = pages.board(board)
        kind = rendered.files.get(download)
        if kind is None:
            raise NotFound(f"board {board!r} has no download {download!r}; it has {sorted(rendered.files)}")
        return _answer(request, rendered.bodies[kind])

    @app.get("/entries/{prefix}")
    def entry(prefix: str) -> dict[str, Any]:
        board, entry_id, _ = store.resolve(prefix)
        return {
            "board": board, "entry_id": entry_id, "entry": store.released(board)[entry_id],
            "events": [asdict(event) for event in store.events(board) if event.entry == entry_id],
        }

    @app.get("/log")
    def log(since: int = 0) -> list[dict[str, Any]]:
        return [asdict(event) for event in store.events() if event.seq >= since]

    @app.get("/head")
    def head() -> dict[str, Any]:
        return store.head()

    @app.get("/public-key")
    def public_key(request: Request) -> Response:
        """The current key (PEM, as `admin key show` prints it); to `Accept: application/json`, its
        fingerprint and the log's key history (every key, when it was rotated in)."""
        from medbench.leaderboard.board.signing import fingerprint

        current = store.current_public_key()
        if "application/json" not in request.headers.get("accept", ""):
            return PlainTextResponse(current)
        history = [period.as_json() for period in store.key_history()]
        return JSONResponse({"fingerprint": fingerprint(current), "public_key": current, "history": history})

    @app.post("/boards/{board}/submissions")
    def submit(board: str, body: Submission, user: User = Depends(actor)) -> JSONResponse:
        meta = body.meta.model_dump(exclude_none=True)
        store.admit_submission(board, user, meta)
        frame = _frame(body.predictions, store.hidden_labels(board), store.protocol(board).kind)
        outcome = store.submit(board, frame, meta, user)
        return JSONResponse(asdict(outcome), status_code=201 if outcome.added else 200)

    @app.post("/boards/{board}/baseline")
    def baseline(board: str, body: Baseline, user: User = Depends(actor)) -> dict[str, Any]:
        return asdict(store.set_baseline(board, body.entry, body.note, user))

    @app.post("/entries/{prefix}/reproductions")
    def reproduction(prefix: str, body: Reproduction, user: User = Depends(actor)) -> dict[str, Any]:
        board, entry_id, _ = store.admit_reproduction(prefix, user)
        labels, protocol = store.entry_labels(entry_id)  # a stale entry's own task version's
        frame = _frame(body.predictions, labels, protocol.kind)
        return asdict(store.record_reproduction(entry_id, frame, user, tolerance=body.tolerance, board=board))

    @app.post("/entries/{prefix}/review")
    def review(prefix: str, body: Decision, user: User = Depends(actor)) -> dict[str, Any]:
        return asdict(store.review(prefix, body.decision, body.note, user))

    return app


def _answer(request: Request, body: Any) -> Response:
    """A cached body: 304 when the client holds it (If-None-Match), else gzip-encoded where accepted.

    `X-Medbench-Log-Version` names the log version the body shows; `X-Medbench-Stale` says that
    the log has moved on and a newer rendering is under way (`pages`)."""
    headers = {"ETag": body.etag, "Vary": "Accept, Accept-Encoding", "Cache-Control": "no-cache", "X-Medbench-Log-Version": str(body.version)}
    if body.stale:
        headers["X-Medbench-Stale"] = "a newer log version is being rendered"
    if body.etag in (tag.strip() for tag in request.headers.get("if-none-match", "").split(",")):
        return Response(status_code=304, headers=headers)
    if "gzip" in request.headers.get("accept-encoding", ""):
        return Response(body.gzipped, media_type=body.media_type, headers={**headers, "Content-Encoding": "gzip"})
    return Response(body.content, media_type=body.media_type, headers=headers)


def _frame(encoded: str, labels: Any, kind: str) -> Any:
    """The submitted scores, decoded only after their footer matched the test set of `labels`."""
    from medbench.leaderboard.committee.hidden import read_submission

    try:
        data = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise MedbenchError("predictions: not base64") from None
    return read_submission(data, labels, kind)


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on `host:port` (0: a free port), bound before anything says it serves there.

    Its protocol is named (IPPROTO_TCP, not 0): asyncio turns Nagle's algorithm off (TCP_NODELAY)
    only on connections whose socket says TCP. With it on, a body smaller than one segment (a
    gzip-encoded page of some 50 kB) waits after its header for the client's delayed ACK, 40 ms a
    kept-alive request (benchmarks/bench_service_pages.py)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listener = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listener.bind((host, port))
    except OSError as error:
        listener.close()
        reason = "already in use (is another `medbench serve` running?)" if error.errno == errno.EADDRINUSE else error.strerror
        raise MedbenchError(f"--port {port}: cannot listen on {host}:{port}: {reason}; choose another --port") from None
    listener.listen(2048)
    return listener


def serve(store: CommitteeStore, listener: socket.socket) -> Optional[str]:
    """Answer on `listener` until SIGTERM or SIGINT; then stop the background renders and close the
    store. Returns the name of the signal that stopped the service, if one did.

    uvicorn handles both signals while it serves and, once shut down, raises each again for the
    handler it had replaced: under SIGTERM's default one the process ended right there, before the
    store was closed (SQLite's -wal file was left behind). The handler set here is the one uvicorn
    restores: it records the signal and asks the server to exit, which also covers a signal that
    arrives before uvicorn's own handlers are in place. The renders are stopped here as well as in
    the lifespan's shutdown, which uvicorn skips on a forced exit (a second SIGINT)."""
    import signal

    import uvicorn

    app = create_app(store)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False))
    received: list[int] = []

    def stop(signum: int, _frame: Any) -> None:
        received.append(signum)
        server.should_exit = True

    replaced = {signum: signal.signal(signum, stop) for signum in (signal.SIGTERM, signal.SIGINT)}
    try:
        server.run(sockets=[listener])
    finally:
        app.state.pages.close()
        store.close()
        for signum, handler in replaced.items():
            signal.signal(signum, handler)
    return signal.Signals(received[0]).name if received else None
