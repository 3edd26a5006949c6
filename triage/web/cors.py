"""Which other web sites may call the server from a browser: CORS and the cross-site check.

A clinic's record system may call the API, FHIR or CDS Hooks routes from its own pages in the
browser, but only from the origins the server was started with (``--cors-origin``,
``TRIAGE_CORS_ORIGINS``; none by default). Two parts:

- ``Cors``, an ASGI middleware: answers a browser's preflight (``OPTIONS`` with
  ``Access-Control-Request-Method``) and adds ``Access-Control-Allow-Origin`` to the answers
  of an allowed origin. No credentials: the API is stateless and sets no cookie.
- ``refuse_cross_site``, called before any state-changing route runs: a request that a
  browser made for a page of another origin (``Origin``, ``Sec-Fetch-Site``) is refused with
  403 unless that origin is allowed. Without CORS a browser still *sends* a simple
  cross-site POST (it only hides the answer), so the check is what stops a page elsewhere
  from creating decisions through a visitor's browser. A client that is not a browser sends
  neither header and is let through, as is a page of the server itself.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..formats import json_bytes
from .bodies import HttpError

ENV = "TRIAGE_CORS_ORIGINS"
#: The routes another site may call: the JSON API, FHIR and CDS Hooks (never the pages).
CORS_PREFIXES = ("/v1/", "/healthz", "/openapi.json", "/fhir/", "/cds-services")
ALLOW_METHODS = b"GET, POST, OPTIONS"
ALLOW_HEADERS = b"Accept, Authorization, Content-Type, X-Request-Id"
EXPOSE_HEADERS = b"X-Request-Id"
MAX_AGE = b"600"
SAME = ("same-origin", "none")  # Sec-Fetch-Site: a page of this server, or typed by the user
_HOST = re.compile(r"^[a-z0-9.-]+(:[0-9]{1,5})?$|^\[[0-9a-f:.]+\](:[0-9]{1,5})?$")


def parse_origins(text: str | tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """The allow-list from a comma-separated text or a list: each ``scheme://host[:port]``
    (http or https, no path), lower case (``ValueError`` naming a bad one)."""
    items = text.split(",") if isinstance(text, str) else list(text)
    out: list[str] = []
    for item in items:
        origin = item.strip().lower().rstrip("/")
        if not origin:
            continue
        parts = urlsplit(origin)
        if (
            parts.scheme not in ("http", "https")
            or not parts.netloc
            or not _HOST.match(parts.netloc)
            or parts.path
            or parts.query
            or parts.fragment
        ):
            raise ValueError(f"not an origin (scheme://host[:port]): {item.strip()!r}")
        if origin not in out:
            out.append(origin)
    return tuple(out)


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return value.decode("latin-1")
    return None


def own_origin(request: Request) -> str:
    """This server's origin as the request reached it (its scheme and Host)."""
    host = request.headers.get("host", "").strip().lower()
    return f"{request.url.scheme}://{host}"


def refuse_cross_site(request: Request, allowed: tuple[str, ...]) -> None:
    """403 for a state-changing request a browser sent for another site's page."""
    site = (_header(request.scope, b"sec-fetch-site") or "").strip().lower()
    origin = _header(request.scope, b"origin")
    if site in SAME:
        return
    if origin is not None:
        origin = origin.strip().lower()
        if origin in allowed or origin == own_origin(request):
            return
        shown = origin if len(origin) <= 100 else origin[:97] + "..."
        raise HttpError(
            403,
            f"cross-site request refused: origin {shown!r} is not allowed (see --cors-origin)",
            "Origin",
        )
    if site:  # a browser's cross-site request that did not say where from
        raise HttpError(403, "cross-site request refused: no Origin given", "Sec-Fetch-Site")


class Cors:
    """Answers preflights and marks the answers to allowed origins, on the CORS routes."""

    def __init__(self, app: ASGIApp, origins: tuple[str, ...]):
        self.app = app
        self.origins = origins

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        origin = _header(scope, b"origin") if scope["type"] == "http" else None
        if origin is None or not scope["path"].startswith(CORS_PREFIXES):
            await self.app(scope, receive, send)
            return
        origin = origin.strip().lower()
        allowed = origin in self.origins
        if scope["method"] == "OPTIONS" and _header(scope, b"access-control-request-method"):
            await self._preflight(send, origin if allowed else None)
            return
        if not allowed:
            await self.app(scope, receive, send)
            return

        async def send_marked(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), *_marks(origin)]
            await send(message)

        await self.app(scope, receive, send_marked)

    async def _preflight(self, send: Send, origin: str | None) -> None:
        if origin is None:
            body = json_bytes(
                {"error": {"message": "origin not allowed (see --cors-origin)", "field": "Origin"}}
            )
            headers = [(b"content-type", b"application/json"), (b"vary", b"Origin")]
            status = 403
        else:
            body = b""
            headers = [
                *_marks(origin),
                (b"access-control-allow-methods", ALLOW_METHODS),
                (b"access-control-allow-headers", ALLOW_HEADERS),
                (b"access-control-max-age", MAX_AGE),
            ]
            status = 204
        headers.append((b"content-length", str(len(body)).encode()))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def _marks(origin: str) -> list[tuple[bytes, bytes]]:
    return [
        (b"access-control-allow-origin", origin.encode("latin-1")),
        (b"access-control-expose-headers", EXPOSE_HEADERS),
        (b"vary", b"Origin"),
    ]
