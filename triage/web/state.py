"""Where an interview's answers wait between pages, so that the browser's Back works.

Each form is a POST answered by a 303 redirect to a plain GET page (``/interview/3``,
``/result``): the browser's history then holds only those addresses, never answers, and Back
or reload asks the server for the page again instead of offering to resubmit a form. The
server keeps nothing: the answers come back with each GET in one cookie that the pages set.

The cookie is a session cookie (no expiry date, so the browser keeps it in memory and drops
it when it closes), ``HttpOnly`` (no script reads it) and ``SameSite=Strict`` (sent to this
site only, from its own pages). Its value is the answers, compressed; the server stops using
it once an hour has passed since the last answer (``IDLE_SECONDS``), and "Start again" clears
it. Whatever it holds is checked as a form's answers are: a cookie that does not read is
simply no interview.
"""

from __future__ import annotations

import base64
import binascii
import json
import zlib
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

COOKIE = "triage_interview"
COUNTRY_COOKIE = "triage_country"
IDLE_SECONDS = 3600
MAX_COOKIE = 3800  # bytes: under the 4096 every browser keeps
MAX_JSON = 64 * 1024  # what the value may unpack to: no decompression bomb


@dataclass
class State:
    """An interview between pages: the answers (as JSON values), the screens that asked
    them, the id of the decision they led to (if they did), and a screen's rejected form."""

    answers: dict[str, Any] = field(default_factory=dict)
    screens: list[list[str]] = field(default_factory=list)
    decision: str | None = None
    pending: dict[str, Any] | None = None  # {"step": n, "form": {"q.x": [...]}}

    def encode(self, now: float) -> str:
        doc: dict[str, Any] = {"a": self.answers, "s": self.screens, "t": int(now)}
        if self.decision:
            doc["d"] = self.decision
        if self.pending:
            doc["p"] = self.pending
        text = json.dumps(doc, ensure_ascii=False, separators=(",", ":"))
        return base64.urlsafe_b64encode(zlib.compress(text.encode("utf-8"), 9)).decode("ascii")


def decode(value: str, now: float) -> dict[str, Any] | None:
    """The raw state in a cookie's value, or None if it does not read or is too old."""
    try:
        packed = base64.urlsafe_b64decode(value.encode("ascii"))
        unpacker = zlib.decompressobj()
        text = unpacker.decompress(packed, MAX_JSON)
        if unpacker.unconsumed_tail:
            return None
        doc = json.loads(text)
    except (ValueError, binascii.Error, zlib.error, RecursionError, UnicodeError):
        return None
    if not isinstance(doc, dict) or not isinstance(doc.get("t"), int):
        return None
    if not 0 <= now - doc["t"] <= IDLE_SECONDS:
        return None
    return doc


def read(request: Request, now: float) -> dict[str, Any] | None:
    """The raw state the request's cookie holds, if any."""
    value = request.cookies.get(COOKIE)
    return decode(value, now) if value else None


def save(response: Response, request: Request, state: State, now: float) -> None:
    """Keep ``state`` in the browser for the next page (without a rejected form too long to
    keep; dropped if still too big: the pages' forms still work, only Back will not)."""
    value = state.encode(now)
    if len(value) > MAX_COOKIE and state.pending:  # a long rejected answer: not shown again
        value = State(state.answers, state.screens, state.decision).encode(now)
    if len(value) > MAX_COOKIE:
        forget(response, request)
        return
    response.set_cookie(
        COOKIE,
        value,
        path="/",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )


def forget(response: Response, request: Request) -> None:
    """Clear the interview from the browser."""
    response.delete_cookie(
        COOKIE, path="/", httponly=True, samesite="strict", secure=request.url.scheme == "https"
    )
