"""Reading request bodies as untrusted input: bounded, UTF-8, JSON without duplicate keys.

Every problem is an ``HttpError`` with a 4xx status and one line in the CLI's wording, which
the app turns into ``{"error": {"message", "field"}}`` (or an error page): never a 5xx.
"""

from __future__ import annotations

import json
from collections.abc import Container
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request

from ..cases import MAX_LINE_BYTES
from ..documents import DuplicateKeyError, load_json

MAX_JSON_BYTES = MAX_LINE_BYTES  # one case: the longest JSON Lines line batch reads
MAX_FORM_BYTES = 64 * 1024  # a page's form: every answer of the catalogue fits many times over
JSON_TYPES = ("application/json",)
JSON_LINES_TYPES = ("application/x-ndjson", "application/jsonl", "application/json-lines")
FORM_TYPE = "application/x-www-form-urlencoded"
#: The longest value of a form field: a typed answer or a button, far more than any needs.
#: Checked before any parsing, so no parser is ever handed more.
MAX_FIELD_CHARS = 200
#: The longest value of a page's hidden fields (the answers and screens so far, as JSON).
MAX_STATE_CHARS = 16 * 1024
STATE_FIELDS = frozenset({"answers", "screens"})


class HttpError(Exception):
    """A request the server will not act on: its status, message and the field at fault."""

    def __init__(
        self,
        status: int,
        message: str,
        field: str | None = None,
        headers: dict[str, str] | None = None,
    ):
        super().__init__(message)
        self.status, self.message, self.field = status, message, field
        self.headers = headers or {}  # such as a 405's Allow

    def body(self) -> dict[str, Any]:
        """The JSON error document."""
        return {"error": {"message": self.message, "field": self.field}}


def media_type(request: Request) -> str:
    """The request's media type, lower case, without parameters ("" when there is none)."""
    return request.headers.get("content-type", "").split(";", 1)[0].strip().lower()


def size_text(limit: int) -> str:
    """A byte limit in words: "1 MiB", "64 KiB"."""
    return f"{limit // 2**20} MiB" if limit >= 2**20 else f"{limit // 1024} KiB"


def declared_length(request: Request, limit: int) -> int | None:
    """The Content-Length, refused with 413 up front when it is over ``limit``."""
    length = request.headers.get("content-length")
    if length is None:
        return None
    if not length.isdigit():
        raise HttpError(400, "invalid Content-Length header")
    if int(length) > limit:
        raise HttpError(413, f"request body too large (over {size_text(limit)})")
    return int(length)


async def read_body(request: Request, limit: int) -> bytes:
    """The whole body, or 413 as soon as it passes ``limit`` bytes (whatever was declared)."""
    declared_length(request, limit)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise HttpError(413, f"request body too large (over {size_text(limit)})")
        chunks.append(chunk)
    return b"".join(chunks)


def parse_json(data: bytes) -> Any:
    """A JSON document from a request body, with the messages ``triage batch`` gives."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise HttpError(400, "not UTF-8 text") from None
    if not text.strip():
        raise HttpError(400, "empty request body: expected a JSON object")
    try:
        return load_json(text)
    except RecursionError:
        raise HttpError(400, "nested too deeply") from None
    except DuplicateKeyError as exc:
        raise HttpError(400, str(exc)) from None
    except json.JSONDecodeError as exc:
        raise HttpError(
            400, f"invalid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from None
    except ValueError as exc:  # such as an integer too long to convert
        raise HttpError(400, f"invalid JSON: {exc}") from None


async def read_json(request: Request) -> Any:
    """The request's JSON document (a JSON media type, or none given)."""
    kind = media_type(request)
    if kind and kind not in JSON_TYPES and not kind.endswith("+json"):
        raise HttpError(415, f"unsupported media type {kind!r}: send application/json")
    return parse_json(await read_body(request, MAX_JSON_BYTES))


async def read_form(request: Request, repeatable: Container[str] = ()) -> dict[str, list[str]]:
    """A urlencoded form, each name with its values in order (a page's POST).

    Each value is bounded (422 naming the field) before anything parses it. A name given
    twice is refused (422), as a JSON duplicate key is, unless it is ``repeatable`` (the
    boxes of one multi-choice question): a second ``q.saddle_numbness`` must not hide the
    first.
    """
    kind = media_type(request)
    if kind != FORM_TYPE:
        raise HttpError(415, f"unsupported media type {kind!r}: send a form ({FORM_TYPE})")
    data = await read_body(request, MAX_FORM_BYTES)
    try:
        pairs = parse_qsl(data.decode("utf-8"), keep_blank_values=True, max_num_fields=1000)
    except (UnicodeDecodeError, ValueError):
        raise HttpError(400, "the form could not be read") from None
    form: dict[str, list[str]] = {}
    for name, value in pairs:
        shown = name if len(name) <= 40 else name[:37] + "..."
        limit = MAX_STATE_CHARS if name in STATE_FIELDS else MAX_FIELD_CHARS
        if len(value) > limit:
            raise HttpError(422, f"form field {shown!r} is longer than {limit} characters", shown)
        if name in form and name not in repeatable:
            raise HttpError(422, f"form field {shown!r} is given more than once", shown)
        form.setdefault(name, []).append(value)
    return form
