"""Request bodies read as untrusted input, and replies as a status, bytes and a media type.

The HTTP-free functions of this package take a request body and return a ``Reply``; a server
only copies it onto its response. A body is bounded (``MAX_BODY``), UTF-8 and JSON without
duplicate keys; every problem is a ``Refused`` with a 4xx status and the one line that
``triage batch`` gives for the same fault in a file, never a 5xx.
"""

from __future__ import annotations

import json
from typing import Any, NamedTuple

from ..documents import DuplicateKeyError, load_json

MAX_BODY = 1024 * 1024  # a whole response with its contained questionnaire is about 60 KB
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
        self, status: int, message: str, field: str | None = None, expression: str | None = None
    ):
        super().__init__(message)
        self.status, self.message, self.field = status, message, field
        self.expression = expression

    def line(self) -> str:
        """The message, after its field: ``answers.age: 200 is out of range: ...``."""
        return f"{self.field}: {self.message}" if self.field else self.message


def read_json(body: bytes, limit: int = MAX_BODY) -> Any:
    """A request body's JSON document (``Refused`` with 413 or 400 when it is not one)."""
    if len(body) > limit:
        raise Refused(413, f"request body too large (over {limit // 2**20} MiB)")
    try:
        return load_json(body.decode("utf-8"))
    except UnicodeDecodeError:
        raise Refused(400, "request body is not UTF-8 text") from None
    except RecursionError:
        raise Refused(400, "nested too deeply") from None
    except DuplicateKeyError as exc:
        raise Refused(400, str(exc)) from None
    except json.JSONDecodeError as exc:
        raise Refused(
            400, f"invalid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from None


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
