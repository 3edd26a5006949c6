"""A CDS Hooks 2.0 service: discovery, a card from a QuestionnaireResponse, and feedback.

CDS Hooks JSON is not FHIR, so it is built with the small pydantic models below, one per
object of the specification (fields as it names them; optional ones are left out, never
null). The service is registered for ``patient-view`` (another hook is a 400). The patient's
latest response to the triage questionnaire comes from, in this order: the request's
``context.questionnaireResponse``; the prefetch key ``questionnaireResponse`` (a response, or
a search Bundle of them); or, with neither, a search on the request's ``fhirServer`` with the
``fhirAuthorization`` token it gives (``fetch_latest``: bounded in time and size, http(s)
only, no redirects). With none of these it is 412 Precondition Failed, as the specification
says; ``null`` prefetch (the patient has no response) gives no card.

The response must be the hook's patient's (``subject`` is ``Patient/<context.patientId>``;
another patient, or none named, is a 400 and no card) and not ``entered-in-error`` (a 422).

The card is written for a clinician: the disposition and timeframe with the main finding
(summary), how urgent it is (``critical`` for an emergency, ``warning`` for a doctor, ``info``
otherwise), the findings with their sources, what was not answered (detail, in Markdown), the
sources as links, and which rule base said so (source: name, version and sha256). While a
question that could make the result more urgent is unanswered, the card says the triage is not
complete (``warning``, never a self-care card) and which questions to ask next.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Callable
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..cases import CaseError
from ..engine import Evaluation
from ..incomplete import next_question_ids, urgent_unanswered
from ..knowledge import RuleBase
from ..service import Triage
from . import canonical as c
from .codes import disposition_display
from .questionnaire import question_text
from .replies import JSON, MAX_BODY, Refused, Reply, read_json, size_text
from .responses import case_from_resource, element_path

HOOK = "patient-view"
PREFETCH_KEY = "questionnaireResponse"
SOURCE = "cds-hooks"  # a result's ``source`` for a response that came in a hook request
INDICATORS = {"emergency": "critical", "doctor": "warning"}  # anything else: info
SUMMARY_MAX = 139  # the specification: a summary of fewer than 140 characters
FETCH_SECONDS = 5.0  # the whole search on fhirServer, connection to last byte
MAX_FETCH_BYTES = MAX_BODY
_PATIENT_REF = re.compile(r"(?:^|/)Patient/([A-Za-z0-9\-.]{1,64})(?:/_history/[^/]+)?$")

log = logging.getLogger("triage.serve.cds")
#: Fetches the latest response: (fhirServer, bearer token or None, patient id, rule base).
Fetch = Callable[[str, str | None, str, RuleBase], Any]


class _Model(BaseModel):
    """A CDS Hooks object of a response: a field the specification does not name is refused
    (its reserved ``extension`` aside), so what this service writes keeps to it."""

    model_config = ConfigDict(extra="forbid")

    extension: dict[str, Any] | None = None

    def json_bytes(self) -> bytes:
        return self.model_dump_json(exclude_none=True).encode("utf-8")


class CdsService(_Model):
    hook: str
    title: str | None = None
    description: str
    id: str
    prefetch: dict[str, str] | None = None


class Discovery(_Model):
    services: list[CdsService]


class FhirAuthorization(BaseModel):
    access_token: str
    token_type: Literal["Bearer"]
    expires_in: int
    scope: str
    subject: str
    patient: str | None = None


class HookRequest(BaseModel):
    """A service call. Fields the specification does not name are let through (``extension``
    and whatever a newer version adds): they change nothing here."""

    hook: str
    hookInstance: str
    fhirServer: str | None = None
    fhirAuthorization: FhirAuthorization | None = None
    context: dict[str, Any]
    prefetch: dict[str, Any] | None = None


class Coding(_Model):
    system: str
    code: str
    display: str | None = None


class Source(_Model):
    label: str
    url: str | None = None
    icon: str | None = None
    topic: Coding | None = None


class Link(_Model):
    label: str
    url: str
    type: Literal["absolute", "smart"]
    appContext: str | None = None


class Action(_Model):
    type: Literal["create", "update", "delete"]
    description: str | None = None  # required in a card's suggestion, not in a system action
    resource: dict[str, Any] | None = None
    resourceId: str | None = None


class Suggestion(_Model):
    label: str
    uuid: str | None = None
    isRecommended: bool | None = None
    actions: list[Action] | None = None


class Card(_Model):
    uuid: str | None = None
    summary: str = Field(max_length=SUMMARY_MAX)
    detail: str | None = None
    indicator: Literal["info", "warning", "critical"]
    source: Source
    suggestions: list[Suggestion] | None = None
    selectionBehavior: Literal["at-most-one", "any"] | None = None
    overrideReasons: list[Coding] | None = None
    links: list[Link] | None = None


class CardsResponse(_Model):
    cards: list[Card]
    systemActions: list[Action] | None = None


class FeedbackItem(BaseModel):
    """One card's outcome, as a CDS client reports it (``card`` is the card's uuid)."""

    card: str = Field(min_length=1, max_length=100)
    outcome: Literal["accepted", "overridden"]
    acceptedSuggestions: list[dict[str, Any]] | None = None
    overrideReason: dict[str, Any] | None = None
    outcomeTimestamp: str = Field(min_length=1, max_length=64)


class Feedback(BaseModel):
    """The body of ``POST /cds-services/{id}/feedback``."""

    feedback: list[FeedbackItem] = Field(max_length=100)


class ErrorBody(BaseModel):
    """What a refused request gets (the same shape as the JSON API's errors)."""

    class Error(BaseModel):
        message: str
        field: str | None

    error: Error

    def json_bytes(self) -> bytes:
        return self.model_dump_json().encode("utf-8")  # "field": null, as the API has it


def service(triage: Triage) -> CdsService:
    """This rule base's service, as discovery lists it."""
    rb = triage.rulebase
    template = (
        f"QuestionnaireResponse?patient={{{{context.patientId}}}}"
        f"&questionnaire={c.questionnaire_url(rb)}&_sort=-authored&_count=1"
    )
    return CdsService(
        hook="patient-view",
        title=c.TITLE,
        description=(
            f"What the person's answers to the {rb.name} questionnaire advise (emergency, "
            "doctor, physical therapist or self-care), why, and what to do."
        ),
        id=c.questionnaire_id(rb),
        prefetch={PREFETCH_KEY: template},
    )


def cds_discovery(triage: Triage | None = None) -> Reply:
    """GET ``/cds-services``: the discovery document."""
    return Reply(200, Discovery(services=[service(triage or Triage.load())]).json_bytes(), JSON)


def cds_service(
    service_id: str,
    body: bytes,
    triage: Triage | None = None,
    region: str | None = None,
    audit: Callable[[dict[str, Any]], object] | None = None,
    fetch: Fetch | None = None,
) -> Reply:
    """POST ``/cds-services/{id}``: the card for the patient's answers (``audit`` is given
    the result record, for the audit log; ``fetch`` searches fhirServer, ``fetch_latest``
    unless a test gives another)."""
    triage = triage or Triage.load()
    rb = triage.rulebase
    try:
        if service_id != service(triage).id:
            raise Refused(404, f"no CDS service {service_id!r}")
        request = _request(read_json(body))
        if request.hook != HOOK:
            raise Refused(
                400, f"this service answers the {HOOK!r} hook, not {request.hook[:60]!r}", "hook"
            )
        patient = request.context.get("patientId")
        if not isinstance(patient, str) or not patient:
            raise Refused(400, f"the {HOOK!r} hook's context needs patientId", "context.patientId")
        raw = _response_of(request, rb, fetch or fetch_latest)
        if raw is None:
            return Reply(200, CardsResponse(cards=[]).json_bytes(), JSON)
        case = case_from_resource(raw, rb, source=SOURCE, default_id=SOURCE)
        if isinstance(case, CaseError):
            raise Refused(422, case.message, case.field)
        _check_response(raw, patient)
    except Refused as exc:
        return refusal(exc)
    ev = triage.evaluate(case.answers)
    record = triage.result(case, region=region, evaluation=ev)
    if audit is not None:
        audit(record)
    return Reply(200, CardsResponse(cards=[card(record, rb, ev)]).json_bytes(), JSON)


def refusal(exc: Refused) -> Reply:
    """A refused request's reply: its status and ``{"error": {"message", "field"}}``."""
    error = ErrorBody.Error(message=exc.message, field=exc.field)
    return Reply(exc.status, ErrorBody(error=error).json_bytes(), JSON)


def cds_feedback(service_id: str, body: bytes, triage: Triage | None = None) -> Reply:
    """POST ``/cds-services/{id}/feedback``: what a clinician did with a card, acknowledged.

    The service keeps nothing (it is stateless); each item is logged as one line with the
    card's uuid and outcome only, which say nothing about the patient."""
    triage = triage or Triage.load()
    try:
        if service_id != service(triage).id:
            raise Refused(404, f"no CDS service {service_id!r}")
        try:
            feedback = Feedback.model_validate(read_json(body))
        except ValidationError as exc:
            first = exc.errors()[0]
            message = " ".join(str(first["msg"]).split())
            raise Refused(422, message, element_path(first["loc"]) or None) from None
    except Refused as exc:
        return refusal(exc)
    for item in feedback.feedback:
        log.info("cds feedback: card %s %s", _loggable(item.card), item.outcome)
    return Reply(200, b"", JSON)


def _loggable(text: str) -> str:
    return text if re.fullmatch(r"[A-Za-z0-9:.-]{1,100}", text) else "(not a uuid)"


def _request(doc: Any) -> HookRequest:
    try:
        return HookRequest.model_validate(doc)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise Refused(422, " ".join(first["msg"].split()), element_path(first["loc"])) from None


def _response_of(request: HookRequest, rb: RuleBase, fetch: Fetch) -> dict[str, Any] | None:
    """The QuestionnaireResponse of a request: in context, else prefetched, else fetched
    from fhirServer (the first response of a search Bundle); None when there is none."""
    if PREFETCH_KEY in request.context:
        found = request.context[PREFETCH_KEY]
        where = f"context.{PREFETCH_KEY}"
    elif request.prefetch is not None and PREFETCH_KEY in request.prefetch:
        found = request.prefetch[PREFETCH_KEY]
        where = f"prefetch.{PREFETCH_KEY}"
    elif request.fhirServer is not None:
        auth = request.fhirAuthorization
        found = fetch(
            request.fhirServer,
            auth.access_token if auth else None,
            request.context["patientId"],
            rb,
        )
        where = "fhirServer"
    else:
        raise Refused(
            412,
            f"no answers: give the QuestionnaireResponse as prefetch {PREFETCH_KEY!r} "
            f"or context {PREFETCH_KEY!r}, or a fhirServer to search",
        )
    if found is None:
        return None
    if not isinstance(found, dict):
        raise Refused(422, "expected a QuestionnaireResponse or a Bundle of them", where)
    if found.get("resourceType") != "Bundle":
        return found
    given = found.get("entry")
    entries = given if isinstance(given, list) else []
    for entry in entries:
        resource = entry.get("resource") if isinstance(entry, dict) else None
        if isinstance(resource, dict) and resource.get("resourceType") == "QuestionnaireResponse":
            return resource
    return None


def _check_response(raw: dict[str, Any], patient: str) -> None:
    """A response is evaluated only when it is the hook's patient's and not entered in error."""
    if raw.get("status") == "entered-in-error":
        raise Refused(422, "the response was entered in error: it is not evaluated", "status")
    subject = raw.get("subject")
    reference = subject.get("reference") if isinstance(subject, dict) else None
    if not isinstance(reference, str):
        raise Refused(
            400,
            f"the response names no patient (subject): it must be Patient/{patient}",
            "subject",
        )
    match = _PATIENT_REF.search(reference)
    if match is None or match.group(1) != patient:
        shown = reference if len(reference) <= 80 else reference[:77] + "..."
        raise Refused(
            400,
            f"the response is for {shown!r}, not the hook's patient Patient/{patient}",
            "subject.reference",
        )


def fetch_latest(server: str, token: str | None, patient: str, rb: RuleBase) -> Any:
    """The search for the patient's latest response on ``server`` (the JSON it answers).

    Bounded: http or https only, ``FETCH_SECONDS`` for the whole exchange, at most
    ``MAX_FETCH_BYTES``, no redirect followed (it would carry the token elsewhere), no proxy
    from the environment. Any failure is a 412 saying what went wrong, never a 5xx."""
    import httpx2

    parts = urlsplit(server)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.username:
        raise Refused(400, "fhirServer must be an http or https URL", "fhirServer")
    url = server.rstrip("/") + "/QuestionnaireResponse"
    params = {
        "patient": patient,
        "questionnaire": c.questionnaire_url(rb),
        "_sort": "-authored",
        "_count": "1",
    }
    headers = {"Accept": "application/fhir+json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    deadline = time.monotonic() + FETCH_SECONDS
    failed = "could not search fhirServer for the patient's QuestionnaireResponse"
    try:
        with (
            httpx2.Client(timeout=FETCH_SECONDS, follow_redirects=False, trust_env=False) as client,
            client.stream("GET", url, params=params, headers=headers) as reply,
        ):
            if reply.status_code != 200:
                raise Refused(412, f"{failed}: it answered {reply.status_code}", "fhirServer")
            chunks, size = [], 0
            for chunk in reply.iter_bytes():
                size += len(chunk)
                if size > MAX_FETCH_BYTES:
                    raise Refused(
                        412,
                        f"{failed}: its answer is over {size_text(MAX_FETCH_BYTES)}",
                        "fhirServer",
                    )
                if time.monotonic() > deadline:
                    raise httpx2.TimeoutException("too slow")
                chunks.append(chunk)
    except httpx2.TimeoutException:
        raise Refused(
            412, f"{failed}: no answer within {FETCH_SECONDS:g} s", "fhirServer"
        ) from None
    except (httpx2.HTTPError, httpx2.InvalidURL, OSError, ValueError) as exc:
        kind = type(exc).__name__
        raise Refused(412, f"{failed}: {kind}", "fhirServer") from None
    try:
        return read_json(b"".join(chunks), MAX_FETCH_BYTES)
    except Refused as exc:
        raise Refused(
            412, f"{failed}: its answer is not JSON ({exc.message})", "fhirServer"
        ) from None


def card(record: dict[str, Any], rb: RuleBase, ev: Evaluation | None = None) -> Card:
    """The card of a result record, for a clinician (``ev``: the evaluation it came from,
    which says whether the triage is complete)."""
    identity = record["rulebase"]
    disposition = record["disposition"]
    open_urgent = urgent_unanswered(ev) if ev is not None else []
    indicator = INDICATORS.get(disposition, "info")
    if open_urgent:
        indicator = "critical" if indicator == "critical" else "warning"
        summary = (
            f"Triage not complete: {len(open_urgent)} unanswered question"
            f"{'s' if len(open_urgent) != 1 else ''} could make it more urgent than "
            f"{outcome_words(record).lower()}"
        )
    else:
        summary = f"{outcome_words(record)}: {main_finding(record)}"
    if len(summary) > SUMMARY_MAX:
        summary = summary[: SUMMARY_MAX - 1] + "…"
    topic = Coding(
        system=c.code_system_url(identity["name"], "dispositions"),
        code=disposition,
        display=disposition_display(disposition),
    )
    return Card(
        uuid=str(uuid.uuid4()),
        summary=summary,
        detail=detail(record, rb, open_urgent, next_question_ids(ev) if open_urgent and ev else []),
        indicator=indicator,
        source=Source(
            label=f"{identity['name']} {identity['version']} (sha256 {identity['sha256'][:12]})",
            topic=topic,
        ),
        links=links(record, rb) or None,
    )


def outcome_words(record: dict[str, Any]) -> str:
    """The disposition and its timeframe: "Doctor, same day"."""
    words = disposition_display(record["disposition"])
    if record.get("timeframe"):
        words += ", " + record["timeframe"].replace("_", " ")
    return words


def main_finding(record: dict[str, Any]) -> str:
    """The title of the rule that decided (the first main reason)."""
    for reason in record["reasons"]:
        if reason.get("main"):
            return reason.get("title") or reason["text"]
    return record["label"]


def links(record: dict[str, Any], rb: RuleBase) -> list[Link]:
    """The published sources of the findings, as links: where each finding is explained."""
    rules = {r.id: r for r in rb.rules}
    out: list[Link] = []
    seen: set[str] = set()
    for reason in record["reasons"]:
        rule = rules.get(reason["rule"])
        for source_id in rule.sources if rule is not None else ():
            source = rb.sources.get(source_id) or {}
            url = source.get("url")
            if url and url not in seen and url.startswith(("https://", "http://")):
                seen.add(url)
                out.append(Link(label=source.get("short") or source_id, url=url, type="absolute"))
    return out


def detail(
    record: dict[str, Any],
    rb: RuleBase,
    open_urgent: list[str] | None = None,
    next_ids: list[str] | None = None,
) -> str:
    """For the clinician, in Markdown: whether the triage is complete and what to ask next,
    the findings with their sources, what was not answered, and the rule base's identity.
    The patient's own instructions ("call 999", stretches) are not repeated here."""
    out: list[str] = []
    if open_urgent:
        out += [
            "**Triage not complete.** These questions were not answered, and an answer of yes "
            "could make the result more urgent; ask them before relying on it:",
            "",
        ]
        out += [f"- {_md(question_text(rb.questions[q]))}" for q in open_urgent]
        if next_ids:
            shown = ", ".join(f"`{q}`" for q in next_ids)
            out += ["", f"Next to ask: {shown}."]
        out += ["", f"**So far** (with the other answers): {_md(outcome_words(record))}.", ""]
    else:
        out += [f"**Triage result:** {_md(outcome_words(record))}.", ""]
    out += ["**Findings**", ""]
    found = False
    for r in record["reasons"]:
        if r.get("noted", True):
            found = True
            names = "; ".join(r.get("source_names") or [])
            title = r.get("title") or r["text"]
            out.append(f"- {_md(title)}." + (f" Sources: {_md(names)}." if names else ""))
    if not found:
        out.append("- None.")
    shown_unanswered = [q for q in record["unanswered"] if q not in (open_urgent or [])]
    if shown_unanswered:
        out += ["", "**Not answered** (read as not present):", ""]
        out += [f"- {_md(question_text(rb.questions[q]))}" for q in shown_unanswered]
    out += ["", f"The patient was shown: {_md(record['label'])}."]
    identity = record["rulebase"]
    out += [
        "",
        f"Rule base {_md(identity['name'])} {identity['version']}, sha256 `{identity['sha256']}`.",
    ]
    return "\n".join(out)


def _md(text: str) -> str:
    """Plain text made safe in Markdown: no character starts emphasis, a link or HTML."""
    for ch in "\\`*_[]<>#|":
        text = text.replace(ch, "\\" + ch)
    return text
