"""Limits the service applies before it does any work for a request.

A request that carries a body (every POST) is authenticated from its headers first, then its
body is read in chunks and counted: a declared `Content-Length` over the cap is refused before a
byte is read, and a body that grows past the cap while streaming (chunked, or lying about its
length) is refused at the chunk that crosses it. Only then does the app parse it. So neither an
unauthenticated client nor an oversized body costs the server more than the cap in memory.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any, Optional

# A 10k-sample binary submission is ~0.3 MB of base64 in its JSON; a hundred times that is no prediction file.
MAX_BODY_BYTES = 32 * 1024 * 1024
BODYLESS_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]


def bearer_token(authorization: Optional[str]) -> Optional[str]:
    """The token of an `Authorization: Bearer TOKEN` header, None without one."""
    return authorization[7:] if authorization and authorization.startswith("Bearer ") else None


class GuardedBodies:
    """ASGI middleware: authenticate, then read at most `max_bytes` of body, before the app runs.

    `authenticate` maps a token (or None) to the user, raising `Unauthenticated`; the user is put
    in the request's state (`request.state.user`) so the app never looks the token up again.
    """

    def __init__(self, app: Any, *, authenticate: Callable[[Optional[str]], Any], max_bytes: int = MAX_BODY_BYTES) -> None:
        self.app, self.authenticate, self.max_bytes = app, authenticate, max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in BODYLESS_METHODS:
            await self.app(scope, receive, send)
            return
        from starlette.concurrency import run_in_threadpool

        from medbench.leaderboard.committee.store import Unauthenticated

        headers = {name.decode("latin-1").lower(): value.decode("latin-1") for name, value in scope["headers"]}
        try:
            user = await run_in_threadpool(self.authenticate, bearer_token(headers.get("authorization")))
        except Unauthenticated as error:
            await _answer(send, 401, str(error))
            return
        declared = headers.get("content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            await _answer(send, 413, self._too_large())
            return
        body = await self._read(receive)
        if body is None:
            await _answer(send, 413, self._too_large())
            return
        scope.setdefault("state", {})["user"] = user
        await self.app(scope, _replay(body), send)

    async def _read(self, receive: Receive) -> Optional[bytes]:
        """The whole body, or None once it passes the cap (or the client went away)."""
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return None
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                return None
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)

    def _too_large(self) -> str:
        return (
            f"the request body is over {self.max_bytes // (1024 * 1024)} MiB; "
            "send only sample_id and the board's score columns"
        )


def _replay(body: bytes) -> Receive:
    sent = False

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return receive


async def _answer(send: Send, status: int, detail: str) -> None:
    payload = json.dumps({"detail": detail}).encode("utf-8")
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode()), (b"connection", b"close")]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": payload})
