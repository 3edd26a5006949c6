"""``X-Request-Id``: the client's id for a request, checked and sent back, or a new one.

A clinic's systems trace one request across their logs by it. A client's id is echoed only
when it is short and plain (``SAFE``: letters, digits and ``. _ : -``, at most 128
characters), so no header or log line can be forged with it; otherwise, or when none was
given, the server makes one: random (``uuid4``), so it carries nothing about the person, the
answers, the address or the time. The id is in ``scope["state"]["request_id"]`` for handlers.
"""

from __future__ import annotations

import re
import uuid

from starlette.types import ASGIApp, Message, Receive, Scope, Send

HEADER = b"x-request-id"
SAFE = re.compile(r"[A-Za-z0-9._:-]{1,128}")


def request_id(given: str | None) -> str:
    """The client's id when it is safe to echo, else a new random one."""
    if given is not None and SAFE.fullmatch(given):
        return given
    return uuid.uuid4().hex


class RequestId:
    """Gives every HTTP request an id and puts it on the response."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = None
        for key, value in scope.get("headers", ()):
            if key == HEADER:
                given = value.decode("latin-1")
                break
        rid = request_id(given)
        scope.setdefault("state", {})["request_id"] = rid

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), (HEADER, rid.encode())]
            await send(message)

        await self.app(scope, receive, send_with_id)
