"""The service's access log: one line per request (method, path, status, time, user).

Who asked what, never what they sent: no query string, header, body or token reaches it. It is
the outermost middleware, so requests refused before the app runs (401, 413) are logged too.
"""

from __future__ import annotations

import logging
import sys
import time
from pathlib import Path
from typing import Any, Optional

from starlette.types import Message, Receive, Scope, Send

ACCESS_LOG = logging.getLogger("medbench.access")


class AccessLog:
    """ASGI middleware writing each HTTP request's line to `ACCESS_LOG` once it is answered."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started, status = time.perf_counter(), [0]

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            user = scope.get("state", {}).get("user")
            elapsed_ms = (time.perf_counter() - started) * 1000
            ACCESS_LOG.info("%s %s %d %.1fms %s", scope["method"], scope["path"], status[0], elapsed_ms, getattr(user, "name", "-"))


def log_access_to(path: Optional[Path]) -> None:
    """Send the access log to `path` (appended), or to stderr."""
    handler = logging.FileHandler(path, encoding="utf-8") if path else logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(message)s"))
    ACCESS_LOG.addHandler(handler)
    ACCESS_LOG.setLevel(logging.INFO)
    ACCESS_LOG.propagate = False
