"""The HTTP service. Reading public aggregates needs no token; everything else authenticates.

    GET  /health                         liveness
    GET  /boards                         board names
    GET  /boards/{board}                 the ranked board: spec, entries' aggregates, review history
    GET  /entries/{prefix}               one entry's aggregates (with subgroups) and its events
    GET  /log?since=N, /head, /public-key   the signed audit log, its signed head, the key
    POST /boards/{board}/submissions     {"meta": {...}, "predictions": base64 parquet}  (submitter)
    POST /boards/{board}/baseline        {"entry": id, "note": ...}                      (reviewer)
    POST /entries/{prefix}/reproductions {"predictions": base64 parquet, "tolerance": x} (reviewer)
    POST /entries/{prefix}/review        {"decision": "approve"|"reject", "note": ...}  (reviewer)

Errors answer {"detail": one actionable line}: 401 without a valid token, 403 for a role or team
that may not act, 404 for an unknown board or entry, 429 past the daily quota, 422 otherwise.
"""

from __future__ import annotations

import base64
import binascii
import errno
import logging
import socket
import sys
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any, Optional

from fastapi import Depends, FastAPI, Header, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from pydantic import BaseModel, Field

from medbench.errors import MedbenchError
from medbench.evaluation.agreement import RESCORING_TOLERANCE
from medbench.leaderboard.committee.store import CommitteeStore, Forbidden, NotFound, QuotaExceeded, Unauthenticated, User

# The service's access log (`medbench serve --access-log`): who asked what, never what they sent.
ACCESS_LOG = logging.getLogger("medbench.access")
STATUS = ((Unauthenticated, 401), (Forbidden, 403), (NotFound, 404), (QuotaExceeded, 429))
# A 10k-sample binary submission is ~0.3 MB of base64; a hundred times that is no prediction file.
MAX_PREDICTIONS_BYTES = 64 * 1024 * 1024


class Submission(BaseModel):
    meta: dict[str, Any] = Field(default_factory=dict)
    predictions: str = Field(max_length=MAX_PREDICTIONS_BYTES)


class Reproduction(BaseModel):
    predictions: str = Field(max_length=MAX_PREDICTIONS_BYTES)
    tolerance: float = Field(default=RESCORING_TOLERANCE, ge=0)


class Decision(BaseModel):
    decision: str
    note: str


class Baseline(BaseModel):
    entry: str
    note: str


def create_app(store: CommitteeStore) -> FastAPI:
    from medbench.leaderboard.board.ranking import rank_entries
    from medbench.leaderboard.views.site import ranking_json
    from medbench.leaderboard.board.tiers import Tiers

    # Paired tests over every entry cost seconds on a large board: the export computes them.
    ON_EXPORT = Tiers(note="computed by the committee in each public export (`medbench leaderboard export`)")

    app = FastAPI(title="medbench committee", docs_url=None, redoc_url=None)

    @app.exception_handler(MedbenchError)
    async def _refused(_request: Request, error: MedbenchError) -> JSONResponse:
        status = next((code for kind, code in STATUS if isinstance(error, kind)), 422)
        return JSONResponse({"detail": str(error)}, status_code=status)

    @app.middleware("http")
    async def _access_log(request: Request, call_next: Any) -> Response:
        started = time.perf_counter()
        response = await call_next(request)
        user = request.scope.get("state", {}).get("user", "-")
        elapsed_ms = (time.perf_counter() - started) * 1000
        # The path only: no query, body, header or token ever reaches the log.
        ACCESS_LOG.info("%s %s %d %.1fms %s", request.method, request.url.path, response.status_code, elapsed_ms, user)
        return response

    def actor(request: Request, authorization: Optional[str] = Header(default=None)) -> User:
        token = authorization[7:] if authorization and authorization.startswith("Bearer ") else None
        user = store.authenticate(token)
        request.scope.setdefault("state", {})["user"] = user.name
        return user

    @app.get("/health")
    def health() -> dict[str, Any]:
        return {"ok": True}

    @app.get("/boards")
    def boards() -> list[str]:
        return store.board_names()

    # Every change appends an event, so the log's length names a version of every board.
    pages: dict[str, tuple[int, str]] = {}

    @app.get("/boards/{board}")
    def board(board: str) -> Response:
        version = store.event_count()
        cached = pages.get(board)
        if cached is None or cached[0] != version:
            ranking = rank_entries(store.spec(board), store.entries(board), store.events(board), ON_EXPORT)
            cached = (version, ranking_json(ranking))
            pages[board] = cached
        return Response(cached[1], media_type="application/json")

    @app.get("/entries/{prefix}")
    def entry(prefix: str) -> dict[str, Any]:
        board, entry_id, _ = store.resolve(prefix)
        return {
            "board": board, "entry_id": entry_id, "entry": store.aggregates(board)[entry_id],
            "events": [asdict(event) for event in store.events(board) if event.entry == entry_id],
        }

    @app.get("/log")
    def log(since: int = 0) -> list[dict[str, Any]]:
        return [asdict(event) for event in store.events() if event.seq >= since]

    @app.get("/head")
    def head() -> dict[str, Any]:
        return store.head()

    @app.get("/public-key", response_class=PlainTextResponse)
    def public_key() -> str:
        return store.public_key

    @app.post("/boards/{board}/submissions")
    def submit(board: str, body: Submission, user: User = Depends(actor)) -> JSONResponse:
        outcome = store.submit(board, _frame(body.predictions), body.meta, user)
        return JSONResponse(asdict(outcome), status_code=201 if outcome.added else 200)

    @app.post("/boards/{board}/baseline")
    def baseline(board: str, body: Baseline, user: User = Depends(actor)) -> dict[str, Any]:
        return asdict(store.set_baseline(board, body.entry, body.note, user))

    @app.post("/entries/{prefix}/reproductions")
    def reproduction(prefix: str, body: Reproduction, user: User = Depends(actor)) -> dict[str, Any]:
        return asdict(store.record_reproduction(prefix, _frame(body.predictions), user, tolerance=body.tolerance))

    @app.post("/entries/{prefix}/review")
    def review(prefix: str, body: Decision, user: User = Depends(actor)) -> dict[str, Any]:
        return asdict(store.review(prefix, body.decision, body.note, user))

    return app


def _frame(encoded: str) -> Any:
    from medbench.leaderboard.committee.hidden import read_parquet

    try:
        data = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise MedbenchError("predictions: not base64") from None
    return read_parquet(data, "predictions")


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on `host:port` (0: a free port), bound before anything says it serves there."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listener = socket.socket(family, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listener.bind((host, port))
    except OSError as error:
        listener.close()
        reason = "already in use (is another `medbench serve` running?)" if error.errno == errno.EADDRINUSE else error.strerror
        raise MedbenchError(f"--port {port}: cannot listen on {host}:{port}: {reason}; choose another --port") from None
    listener.listen(2048)
    return listener


def log_access_to(path: Optional[Path]) -> None:
    """One line per request (time, method, path, status, duration, user) to `path`, or to stderr."""
    handler = logging.FileHandler(path, encoding="utf-8") if path else logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(message)s"))
    ACCESS_LOG.addHandler(handler)
    ACCESS_LOG.setLevel(logging.INFO)
    ACCESS_LOG.propagate = False


def serve(store: CommitteeStore, listener: socket.socket) -> None:
    """Answer on `listener` until interrupted; closes the store."""
    import uvicorn

    try:
        config = uvicorn.Config(create_app(store), log_level="warning", access_log=False)
        uvicorn.Server(config).run(sockets=[listener])
    finally:
        store.close()
