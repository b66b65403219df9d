"""The HTTP service. Reading public aggregates needs no token; everything else authenticates.

    GET  /health                         liveness
    GET  /boards                         board names
    GET  /boards/{board}                 the ranked board: spec, entries' released aggregates, review history
    GET  /entries/{prefix}               one entry's released aggregates and its events
    GET  /log?since=N, /head, /public-key   the signed audit log, its signed head, the key
    POST /boards/{board}/submissions     {"meta": {...}, "predictions": base64 parquet}  (submitter)
    POST /boards/{board}/baseline        {"entry": id, "note": ...}                      (reviewer)
    POST /entries/{prefix}/reproductions {"predictions": base64 parquet, "tolerance": x} (reviewer; match or not)
    POST /entries/{prefix}/review        {"decision": "approve"|"reject", "note": ...}  (reviewer)

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
from dataclasses import asdict
from typing import Any, Optional

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from pydantic import BaseModel, Field

from medbench.errors import MedbenchError
from medbench.io import validation_problems
from medbench.leaderboard.board.entries import RunDescription
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


def create_app(store: CommitteeStore) -> FastAPI:
    from medbench.leaderboard.board.ranking import rank_entries
    from medbench.leaderboard.views.site import ranking_json
    from medbench.leaderboard.board.tiers import Tiers

    # Paired tests over every entry cost seconds on a large board: the export computes them.
    ON_EXPORT = Tiers(note="computed by the committee in each public export (`medbench leaderboard export`)")

    app = FastAPI(title="medbench committee", docs_url=None, redoc_url=None)
    app.add_middleware(GuardedBodies, authenticate=store.authenticate, max_bytes=MAX_BODY_BYTES)

    @app.exception_handler(RequestValidationError)
    async def _malformed(_request: Request, error: RequestValidationError) -> JSONResponse:
        """One line naming the fields, never echoing what was sent (a 20 MB `meta.name` stays on the client)."""
        return JSONResponse({"detail": validation_problems(error)}, status_code=422)

    @app.exception_handler(MedbenchError)
    async def _refused(_request: Request, error: MedbenchError) -> JSONResponse:
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

    # Every change appends an event, so the log's length names a version of every board.
    pages: dict[str, tuple[int, str]] = {}

    @app.get("/boards/{board}")
    def board(board: str) -> Response:
        version = store.event_count()
        cached = pages.get(board)
        if cached is None or cached[0] != version:
            ranking = rank_entries(store.spec(board), store.released_entries(board), store.events(board), ON_EXPORT)
            cached = (version, ranking_json(ranking))
            pages[board] = cached
        return Response(cached[1], media_type="application/json")

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

    @app.get("/public-key", response_class=PlainTextResponse)
    def public_key() -> str:
        return store.public_key

    @app.post("/boards/{board}/submissions")
    def submit(board: str, body: Submission, user: User = Depends(actor)) -> JSONResponse:
        store.admit_submission(board, user)
        frame = _frame(body.predictions, store, board)
        outcome = store.submit(board, frame, body.meta.model_dump(exclude_none=True), user)
        return JSONResponse(asdict(outcome), status_code=201 if outcome.added else 200)

    @app.post("/boards/{board}/baseline")
    def baseline(board: str, body: Baseline, user: User = Depends(actor)) -> dict[str, Any]:
        return asdict(store.set_baseline(board, body.entry, body.note, user))

    @app.post("/entries/{prefix}/reproductions")
    def reproduction(prefix: str, body: Reproduction, user: User = Depends(actor)) -> dict[str, Any]:
        board, entry_id, _ = store.admit_reproduction(prefix, user)
        frame = _frame(body.predictions, store, board)
        return asdict(store.record_reproduction(entry_id, frame, user, tolerance=body.tolerance, board=board))

    @app.post("/entries/{prefix}/review")
    def review(prefix: str, body: Decision, user: User = Depends(actor)) -> dict[str, Any]:
        return asdict(store.review(prefix, body.decision, body.note, user))

    return app


def _frame(encoded: str, store: CommitteeStore, board: str) -> Any:
    """The submitted scores, decoded only after their footer matched the board's test set."""
    from medbench.leaderboard.committee.hidden import read_submission

    try:
        data = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise MedbenchError("predictions: not base64") from None
    return read_submission(data, store.hidden_labels(board), store.protocol(board).kind)


def serve(db_url: str, key_path: Any, host: str, port: int) -> None:
    import uvicorn

    store = CommitteeStore(db_url, key_path)
    try:
        uvicorn.run(create_app(store), host=host, port=port, log_level="warning")
    finally:
        store.close()
