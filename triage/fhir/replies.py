"""Request bodies read as untrusted input, and replies as a status, bytes and a media type.

The HTTP-free functions of this package take a request body and return a ``Reply``; a server
only copies it onto its response. ``read_json`` is the one JSON body reader of the project
(the web server's ``bodies.parse_json`` is this function): a body is bounded (``MAX_BODY``),
UTF-8 and JSON without duplicate keys; every problem is a ``Refused`` with a 4xx status and
the one line that ``triage batch`` gives for the same fault in a file, never a 5xx.
"""

from __future__ import annotations

import json
from typing import Any, NamedTuple

from ..documents import DuplicateKeyError, load_json

MAX_BODY = 1024 * 1024  # a whole response with its contained questionnaire is about 60 KB
#: The limit of one JSON body: also the longest JSON Lines line ``triage batch`` reads.
MAX_JSON_BYTES = MAX_BODY
FHIR_JSON = "application/fhir+json"
JSON = "application/json"
#: OperationOutcome issue types for the statuses a FHIR endpoint refuses with.
ISSUE_CODES = {
    400: "structure",
    404: "not-found",
    405: "not-supported",
    406: "not-supported",
    412: "required",
    413: "too-long",
    415: "not-supported",
    422: "invalid",
}


class Reply(NamedTuple):
    """What a server sends back: the status, the body and its media type."""

    status: int
    body: bytes
    media_type: str


class Refused(Exception):
    """A request refused with a 4xx status, one line and the field at fault (if any), and
    where that is in the resource sent, as a FHIRPath ``expression``."""

    def __init__(
        self,
        status: int,
        message: str,
        field: str | None = None,
        headers: dict[str, str] | None = None,
        expression: str | None = None,
    ):
        super().__init__(message)
        self.status, self.message, self.field = status, message, field
        self.headers = headers or {}  # such as a 405's Allow
        self.expression = expression  # FHIRPath of the element, for an OperationOutcome

    def body(self) -> dict[str, Any]:
        """The JSON error document of the API and CDS Hooks families."""
        return {"error": {"message": self.message, "field": self.field}}

    def line(self) -> str:
        """The message, after its field: ``answers.age: 200 is out of range: ...``."""
        return f"{self.field}: {self.message}" if self.field else self.message


def size_text(limit: int) -> str:
    """A byte limit in words: "1 MiB", "64 KiB"."""
    return f"{limit // 2**20} MiB" if limit >= 2**20 else f"{limit // 1024} KiB"


def too_large(limit: int) -> Refused:
    """The 413 of a body over ``limit`` bytes (the same words wherever it is found)."""
    return Refused(413, f"request body too large (over {size_text(limit)})")


def read_json(body: bytes, limit: int = MAX_JSON_BYTES) -> Any:
    """A request body's JSON document (``Refused`` with 413 or 400 when it is not one)."""
    if len(body) > limit:
        raise too_large(limit)
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise Refused(400, "request body is not UTF-8 text") from None
    if not text.strip():
        raise Refused(400, "empty request body: expected a JSON object")
    try:
        return load_json(text)
    except RecursionError:
        raise Refused(400, "nested too deeply") from None
    except DuplicateKeyError as exc:
        raise Refused(400, str(exc), duplicate_path(text)) from None
    except json.JSONDecodeError as exc:
        raise Refused(
            400, f"invalid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from None
    except ValueError as exc:  # such as an integer too long to convert
        raise Refused(400, f"invalid JSON: {' '.join(str(exc).split())[:200]}") from None


class _Twice(dict):
    """A JSON object read with a key given twice (``twice``): a marker for ``duplicate_path``."""

    twice: str


def _marking(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) == len(pairs):
        return out
    marked = _Twice(out)
    seen: set[str] = set()
    for key, _ in pairs:
        if key in seen:
            marked.twice = key
            break
        seen.add(key)
    return marked


def duplicate_path(text: str) -> str | None:
    """Where the first key given twice is, as a field path (``answers.fever``, ``item[2].linkId``):
    the document read again, only after it was refused for it."""
    try:
        doc = json.loads(text, object_pairs_hook=_marking)
    except (ValueError, RecursionError):
        return None
    stack: list[tuple[Any, str]] = [(doc, "")]
    while stack:  # depth first, in document order
        node, path = stack.pop()
        if isinstance(node, _Twice):
            return (f"{path}.{node.twice}" if path else node.twice)[:200]
        if isinstance(node, dict):
            children = [(v, f"{path}.{k}" if path else k) for k, v in node.items()]
        elif isinstance(node, list):
            children = [(v, f"{path}[{i}]") for i, v in enumerate(node)]
        else:
            continue
        stack.extend(reversed(children))
    return None


def fhir_refusal(exc: Refused) -> Reply:
    """A refusal as a FHIR server gives it: an OperationOutcome with the one line."""
    from fhir.resources.R4B.codeableconcept import CodeableConcept
    from fhir.resources.R4B.operationoutcome import OperationOutcome, OperationOutcomeIssue

    issue = OperationOutcomeIssue(
        severity="error",
        code=ISSUE_CODES.get(exc.status, "processing"),
        details=CodeableConcept(text=exc.message),
        diagnostics=exc.line(),
        expression=[exc.expression] if exc.expression else None,
    )
    body = OperationOutcome(issue=[issue]).model_dump_json().encode("utf-8")
    return Reply(exc.status, body, FHIR_JSON)
