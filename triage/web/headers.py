"""Headers on every response, and an access log that never holds a query string.

One plain ASGI middleware (cheap: it only adds headers to the response start): the request's
``X-Request-Id`` (``requestid``), a strict Content-Security-Policy (nothing from elsewhere, no
inline script or style, no framing), nosniff, no referrer, and no caching of pages or API
answers, which carry health answers.
"""

from __future__ import annotations

import logging
import time

from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .requestid import HEADER as REQUEST_ID
from .requestid import request_id_of

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
SECURITY = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
]
NO_STORE = (b"cache-control", b"no-store")
REVALIDATE = (b"cache-control", b"no-cache")  # static files: kept, checked by their ETag

access = logging.getLogger("triage.serve.access")
errors = logging.getLogger("uvicorn.error")


class SecurityHeaders:
    """Adds the request id, security and caching headers; logs each request by method, path
    and status."""

    def __init__(self, app: ASGIApp, access_log: bool = True):
        self.app = app
        self.access_log = access_log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter() if self.access_log else 0.0
        cache = REVALIDATE if scope["path"].startswith("/static/") else NO_STORE
        added = [(REQUEST_ID, request_id_of(scope).encode()), *SECURITY, cache]
        status = 0

        async def send_with_headers(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), *added]
            await send(message)

        gone = False
        try:
            await self.app(scope, receive, send_with_headers)
        except ClientDisconnect:
            # The client left before the end of its body: nothing to answer, no server fault,
            # so one line (below) rather than a 500 and a traceback.
            gone = True
        finally:
            if self.access_log or gone:
                self.log(scope, status, gone, start)

    def log(self, scope: Scope, status: int, gone: bool, start: float) -> None:
        """The request's line: its client, method, path (only: a query string could hold
        anything a client put there), status and time; or that the client left."""
        client = scope.get("client") or ("-", 0)
        if self.access_log:
            took = (time.perf_counter() - start) * 1000
            outcome = "client disconnected" if gone else str(status)
            access.info(
                '%s "%s %s" %s %.1fms', client[0], scope["method"], scope["path"], outcome, took
            )
        else:
            errors.info('%s "%s %s" client disconnected', client[0], scope["method"], scope["path"])
