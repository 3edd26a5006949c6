"""Reading request bodies as untrusted input: bounded, UTF-8, JSON without duplicate keys.

Every problem is an ``HttpError`` with a 4xx status and one line in the CLI's wording, which
the app turns into its route family's error shape (``{"error": {"message", "field"}}``, an
OperationOutcome, or an error page): never a 5xx. JSON is parsed by the one reader the FHIR
and CDS Hooks functions use too (``triage.fhir.replies.read_json``), so every route gives the
same status and words for the same fault.
"""

from __future__ import annotations

from collections.abc import Container
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request

from ..fhir.replies import MAX_JSON_BYTES, Refused, size_text
from ..fhir.replies import read_json as read_json_bytes

MAX_FORM_BYTES = 64 * 1024  # a page's form: every answer of the catalogue fits many times over
JSON_TYPES = ("application/json", "application/fhir+json")  # a case, or a FHIR resource
JSON_LINES_TYPES = ("application/x-ndjson", "application/jsonl", "application/json-lines")
FORM_TYPE = "application/x-www-form-urlencoded"
#: The longest value of a form field: a typed answer or a button, far more than any needs.
#: Checked before any parsing, so no parser is ever handed more.
MAX_FIELD_CHARS = 200
#: The longest value of a page's hidden fields (the answers and screens so far, as JSON).
MAX_STATE_CHARS = 16 * 1024
STATE_FIELDS = frozenset({"answers", "screens"})


class HttpError(Refused):
    """A request the server will not act on: its status, message and the field at fault
    (a ``Refused`` raised while a request is read or handled)."""


def header(request: Request, name: bytes) -> str | None:
    """The request's first header ``name`` (lower case), or None: read from the raw headers,
    without building Starlette's ``Headers`` (which decodes every name on each lookup)."""
    for key, value in request.scope["headers"]:
        if key == name:
            return value.decode("latin-1")
    return None


def media_type(request: Request) -> str:
    """The request's media type, lower case, without parameters ("" when there is none)."""
    return (header(request, b"content-type") or "").split(";", 1)[0].strip().lower()


def declared_length(request: Request, limit: int) -> int | None:
    """The Content-Length, refused with 413 up front when it is over ``limit``."""
    length = header(request, b"content-length")
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


def parse_json(data: bytes, limit: int = MAX_JSON_BYTES) -> Any:
    """A JSON document from a request body, with the messages ``triage batch`` gives."""
    try:
        return read_json_bytes(data, limit)
    except Refused as exc:
        raise HttpError(exc.status, exc.message, exc.field) from None


def require_media_type(request: Request, accepted: tuple[str, ...], advice: str) -> str:
    """The request's media type, which must be one of ``accepted`` (415 otherwise, none
    given included: a browser's cross-site form can send no JSON type)."""
    kind = media_type(request)
    if kind not in accepted:
        shown = repr(kind) if kind else "(none given)"
        raise HttpError(415, f"unsupported media type {shown}: send {advice}", "Content-Type")
    return kind


async def read_json(request: Request) -> Any:
    """The request's JSON document (sent as application/json)."""
    require_media_type(request, JSON_TYPES, "application/json")
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
