"""The busiest routes without the router: ``POST /v1/evaluate`` and ``POST /v1/interview``.

Starlette sends every request through its error middleware, its exception middleware, the
router (each route tried in turn) and the route's own exception wrapper: each layer wraps
``send`` once more, so a response's two messages pass through four wrappers. Under load that
is a measurable share of an evaluation's time (``benchmarks/bench_serve.py``). ``HotRoutes``
calls these two routes' handlers directly and handles their errors as those layers do: a
refusal or Starlette's ``HTTPException`` gets its handler's response; any other exception
gets the 500 handler's response and is raised again for the server to log; nothing is
answered once the response has started. Every other request goes to the app unchanged.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..fhir.replies import Refused

Handler = Callable[[Request], Awaitable[Response]]
ErrorHandler = Callable[[Request, Exception], Awaitable[Response]]


class HotRoutes:
    """Calls the handler of a hot route directly; hands any other request to ``app``."""

    def __init__(
        self,
        app: ASGIApp,
        handlers: dict[str, Handler],
        refused: ErrorHandler,
        http_exception: ErrorHandler,
        internal: ErrorHandler,
    ):
        self.app = app
        self.handlers = handlers  # by path, each for POST only
        self.refused, self.http_exception, self.internal = refused, http_exception, internal

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        handler = None
        if scope["type"] == "http" and scope["method"] == "POST":
            handler = self.handlers.get(scope["path"])
        if handler is None:
            await self.app(scope, receive, send)
            return
        scope["app"] = self.app  # as the app sets it, for anything that reads request.app
        request = Request(scope, receive, send)
        started = False

        async def sender(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            response = await handler(request)
            await response(scope, receive, sender)
        except Exception as exc:
            if started:  # too late for an error response: the server closes the connection
                raise
            if isinstance(exc, Refused):
                await (await self.refused(request, exc))(scope, receive, send)
            elif isinstance(exc, HTTPException):
                await (await self.http_exception(request, exc))(scope, receive, send)
            else:  # a bug: the 500 response, then the exception for the server's log
                await (await self.internal(request, exc))(scope, receive, send)
                raise
