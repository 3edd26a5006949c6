"""The JSON API for clinics: the next screen, whole evaluations, the catalogue, the rule base.

Handlers read their bodies themselves (no models on the hot path); the OpenAPI document
(``openapi.py``) describes every request and response, from the same question catalogue that
validates the answers. A case is validated by ``validate_case`` and evaluated by
``Triage.result``, and the record is encoded by the batch writer's encoder, so
``POST /v1/evaluate`` gives the very record ``triage batch`` writes, with one field added when
the answers are not complete: ``next_questions``, the ids of the questions to ask next (the
policy: no self-care advice is shown while a question that could make it more urgent is open).
A FHIR Bundle of QuestionnaireResponses gives one record per entry, as ``triage batch`` does.
The advice is for the server's ``--region``, or the request's ``?region=``.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from .. import __version__
from ..cases import MAX_LINE_BYTES, Case, CaseError, JsonLine, RawCase, validate_case
from ..formats import json_bytes, json_lines
from ..incomplete import next_question_ids
from ..runner import prepare
from ..service import Triage
from .bodies import (
    JSON_LINES_TYPES,
    HttpError,
    declared_length,
    media_type,
    read_json,
    size_text,
)
from .records import Records
from .screens import ScreenEncoder, group_json, question_json

SOURCE = "api"  # the record's ``source`` for a case that came in a request
MAX_STREAM_BYTES = 64 * 2**20  # a JSON Lines request: about 200,000 cases
JSON = "application/json"
JSON_LINES = "application/x-ndjson"


def json_response(doc: Any, status: int = 200) -> Response:
    """A JSON document as the batch writer encodes records (UTF-8 kept as is)."""
    return Response(json_bytes(doc), status, media_type=JSON)


def case_of(raw: Any, rb: Any, default_id: str) -> Case:
    """A valid case from a request document, or 422 with the message ``triage batch`` gives."""
    case = validate_case(raw, rb, source=SOURCE, default_id=default_id)
    if isinstance(case, CaseError):
        raise HttpError(422, case.message, case.field)
    return case


class Api:
    """The API's handlers, over one rule base."""

    def __init__(self, triage: Triage, records: Records):
        self.triage = triage
        self.records = records
        rb = triage.rulebase
        identity = rb.identity()
        self._screens = ScreenEncoder(rb.questions.values(), rb.groups.values())
        self._health = json_bytes(
            {"status": "ok", "rulebase": identity, "triage_version": __version__}
        )
        order = sorted(rb.questions.values(), key=lambda q: q.order)
        self._questions = json_bytes(
            {
                "questions": [question_json(q) for q in order],
                "groups": [group_json(g) for g in rb.groups.values()],
                "rulebase": identity,
            }
        )
        self._rulebase = json_bytes(
            {
                **identity,
                "files": rb.files,
                "region": records.region,
                "outcomes": [
                    {"disposition": o.disposition, "timeframe": o.timeframe, "label": o.label}
                    for o in sorted(rb.outcomes, key=lambda o: -o.rank)
                ],
                "rules": [
                    {
                        "id": r.id,
                        "title": r.title,
                        "tier": r.tier,
                        "disposition": r.disposition,
                        "timeframe": r.timeframe,
                        "questions": list(r.questions),
                        "sources": [
                            {"id": s, "citation": rb.sources[s]["citation"]} for s in r.sources
                        ],
                    }
                    for r in rb.rules
                ],
            }
        )

    async def healthz(self, request: Request) -> Response:
        return Response(self._health, media_type=JSON)

    async def questions(self, request: Request) -> Response:
        return Response(self._questions, media_type=JSON)

    async def rulebase(self, request: Request) -> Response:
        return Response(self._rulebase, media_type=JSON)

    async def interview(self, request: Request) -> Response:
        """The next screen for the answers so far, or the result when nothing is left to ask."""
        doc = await read_json(request)
        if not isinstance(doc, dict):
            raise HttpError(422, "an interview request must be a JSON object with 'answers'")
        for key in doc:
            if key != "answers":
                raise HttpError(422, "unknown field (an interview request has answers)", key)
        # Only "answers", checked above: the id is the server's, random, so that each finished
        # interview is its own decision in the audit log, and says nothing about the person.
        case = case_of(doc, self.triage.rulebase, f"interview-{uuid.uuid4().hex}")
        region = self.region_of(request)
        ev = self.triage.evaluate(case.answers)
        screen = ev.screen
        if screen is not None:
            body = {"done": False, "screen": self._screens.screen(screen, ev), "result": None}
        else:
            record = self.records.result(case, evaluation=ev, region=region)
            if not self.records.audit(record, "/v1/interview"):
                raise HttpError(503, "the decision could not be written to the audit log")
            body = {"done": True, "screen": None, "result": record}
        return json_response(body)

    def region_of(self, request: Request) -> str | None:
        """The request's ``?region=`` (one of the rule base's regions), or None: the
        server's own."""
        if not request.scope.get("query_string"):  # the usual request: no query at all
            return None
        given = request.query_params.getlist("region")
        if not given:
            return None
        regions = self.triage.rulebase.plans.regions
        if len(given) > 1:
            raise HttpError(422, "region given more than once", "region")
        if given[0] not in regions:
            shown = given[0] if len(given[0]) <= 40 else given[0][:37] + "..."
            raise HttpError(
                422, f"unknown region {shown!r}; one of: {', '.join(regions)}", "region"
            )
        return given[0]

    def record(self, case: Case, region: str | None) -> dict[str, Any]:
        """The result record of a valid case; an incomplete one says what to ask next."""
        ev = self.triage.evaluate(case.answers)
        record = self.records.result(case, evaluation=ev, region=region)
        if not record["complete"]:
            record["next_questions"] = next_question_ids(ev)
        return record

    async def evaluate(self, request: Request) -> Response:
        """One case (JSON) -> its record; JSON Lines or a FHIR Bundle -> one record per case."""
        region = self.region_of(request)
        if media_type(request) in JSON_LINES_TYPES:
            declared_length(request, MAX_STREAM_BYTES)
            return JsonLinesEvaluation(self, request, region)
        doc = await read_json(request)
        if isinstance(doc, dict) and doc.get("resourceType") == "Bundle":
            return Response(json_lines(self.bundle_records(doc, region)), media_type=JSON_LINES)
        case = case_of(doc, self.triage.rulebase, "request")
        record = self.record(case, region)
        if not self.records.audit(record, "/v1/evaluate"):
            raise HttpError(503, "the decision could not be written to the audit log")
        return Response(json_lines([record]), media_type=JSON)

    def bundle_records(self, doc: dict[str, Any], region: str | None) -> list[dict[str, Any]]:
        """A Bundle's entries evaluated as ``triage batch`` evaluates a Bundle file: one record
        each, an error record for an entry that is not a valid response."""
        from ..fhir.responses import bundle_cases  # FHIR's library loads only when used

        records = []
        for source, case_id, raw in bundle_cases(doc, SOURCE, "request"):
            item = (
                raw
                if isinstance(raw, CaseError)
                else prepare(self.triage, RawCase(source, case_id, raw))
            )
            if isinstance(item, CaseError):
                records.append(item.record())
                continue
            record = self.record(item, region)
            if not self.records.audit(record, "/v1/evaluate"):
                raise HttpError(503, "the decision could not be written to the audit log")
            records.append(record)
        return records

    def record_of_line(self, lineno: int, line: bytes, region: str | None) -> dict[str, Any]:
        """One JSON Lines line evaluated as ``triage batch -`` evaluates it (error records too)."""
        case_id = f"request[{lineno}]"
        item = prepare(self.triage, RawCase(SOURCE, case_id, JsonLine(lineno, line)))
        if isinstance(item, CaseError):
            return item.record()
        record = self.record(item, region)
        self.records.audit(record, "/v1/evaluate")
        return record


class JsonLinesEvaluation(Response):
    """Streams records while the request's lines arrive: memory stays bounded by one line.

    Like ``triage batch -``: blank lines are skipped, and a line that is not JSON, not UTF-8,
    not a valid case or longer than 1 MiB gets its own error record. A body longer than
    ``MAX_STREAM_BYTES`` ends with an error record saying where it stopped.
    """

    media_type = JSON_LINES

    def __init__(self, api: Api, request: Request, region: str | None = None):
        # Not Response.__init__: it would declare a Content-Length of 0.
        self.status_code, self.background = 200, None
        self.raw_headers = [(b"content-type", JSON_LINES.encode())]
        self.api, self.request, self.region = api, request, region

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = False

        async def emit(records: list[dict[str, Any]]) -> None:
            nonlocal started
            if not started:
                await send(
                    {"type": "http.response.start", "status": 200, "headers": self.raw_headers}
                )
                started = True
            if records:
                await send(
                    {"type": "http.response.body", "body": json_lines(records), "more_body": True}
                )

        pending = b""
        lineno = total = 0
        skipping = False  # inside a line over the limit, already reported
        async for chunk in self.request.stream():
            total += len(chunk)
            if total > MAX_STREAM_BYTES:
                limit = size_text(MAX_STREAM_BYTES)
                message = f"request body too large (over {limit}): stopped after line {lineno}"
                await emit(
                    [{"id": None, "source": SOURCE, "error": {"message": message, "field": None}}]
                )
                pending, skipping = b"", True
                break
            lines = (pending + chunk).split(b"\n")
            pending = lines.pop()
            records = []
            for line in lines:
                lineno += 1
                if skipping:
                    skipping = False
                elif len(line) > MAX_LINE_BYTES:
                    records.append(self._too_long(lineno))
                elif line.strip():
                    records.append(self.api.record_of_line(lineno, line, self.region))
            if len(pending) > MAX_LINE_BYTES and not skipping:
                records.append(self._too_long(lineno + 1))
                pending, skipping = b"", True
            elif skipping:
                pending = b""
            await emit(records)
            await asyncio.sleep(0)  # let other requests in between chunks
        if pending.strip() and not skipping:
            lineno += 1
            await emit([self.api.record_of_line(lineno, pending, self.region)])
        await emit([])
        await send({"type": "http.response.body", "body": b"", "more_body": False})

    @staticmethod
    def _too_long(lineno: int) -> dict[str, Any]:
        case_id = f"request[{lineno}]"
        return CaseError(case_id, SOURCE, f"line {lineno} is longer than 1 MiB").record()
