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

from starlette.types import Scope

HEADER = b"x-request-id"
SAFE = re.compile(r"[A-Za-z0-9._:-]{1,128}")


def request_id(given: str | None) -> str:
    """The client's id when it is safe to echo, else a new random one."""
    if given is not None and SAFE.fullmatch(given):
        return given
    return uuid.uuid4().hex


def request_id_of(scope: Scope) -> str:
    """The id of this request (``request_id`` of its first ``X-Request-Id``), kept in
    ``scope["state"]["request_id"]`` for handlers. ``headers.SecurityHeaders`` calls it and
    puts the id on the response, in the one middleware that adds headers to every response."""
    given = None
    for key, value in scope.get("headers", ()):
        if key == HEADER:
            given = value.decode("latin-1")
            break
    rid = request_id(given)
    scope.setdefault("state", {})["request_id"] = rid
    return rid
