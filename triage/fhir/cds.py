"""A CDS Hooks 2.0 service: discovery, and a card from the answers of a QuestionnaireResponse.

CDS Hooks JSON is not FHIR, so it is built with the small pydantic models below, one per
object of the specification (fields as it names them; optional ones are left out, never
null). The service is registered for ``patient-view``: a clinic's record system prefetches
the patient's latest response to the triage questionnaire (prefetch key
``questionnaireResponse``: a response, or a search Bundle of them), or puts the response in
``context.questionnaireResponse`` itself. The card says the disposition and timeframe
(summary), how urgent it is (``critical`` for an emergency, ``warning`` for a doctor,
``info`` otherwise), why and what to do (detail, in Markdown), and which rule base said so
(source: name, version and sha256).

With no response to read: ``null`` prefetch (the patient has none) gives no card; no prefetch
and no context at all is 412 Precondition Failed, as the specification says, since this
service fetches nothing itself.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..cases import CaseError
from ..knowledge import RuleBase
from ..render import next_step
from ..service import Triage
from . import canonical as c
from .codes import disposition_display
from .questionnaire import question_text
from .replies import JSON, Refused, Reply, read_json
from .responses import case_from_resource, element_path

PREFETCH_KEY = "questionnaireResponse"
SOURCE = "cds-hooks"  # a result's ``source`` for a response that came in a hook request
INDICATORS = {"emergency": "critical", "doctor": "warning"}  # anything else: info
SUMMARY_MAX = 139  # the specification: a summary of fewer than 140 characters


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
) -> Reply:
    """POST ``/cds-services/{id}``: the card for the answers in the request (``audit`` is
    given the result record, for the audit log)."""
    triage = triage or Triage.load()
    try:
        if service_id != service(triage).id:
            raise Refused(404, f"no CDS service {service_id!r}")
        request = _request(read_json(body))
        raw = _response_of(request)
        if raw is None:
            return Reply(200, CardsResponse(cards=[]).json_bytes(), JSON)
        case = case_from_resource(raw, triage.rulebase, source=SOURCE, default_id=SOURCE)
        if isinstance(case, CaseError):
            raise Refused(422, case.message, case.field)
    except Refused as exc:
        error = ErrorBody.Error(message=exc.message, field=exc.field)
        return Reply(exc.status, ErrorBody(error=error).json_bytes(), JSON)
    record = triage.result(case, region=region)
    if audit is not None:
        audit(record)
    return Reply(200, CardsResponse(cards=[card(record, triage.rulebase)]).json_bytes(), JSON)


def _request(doc: Any) -> HookRequest:
    try:
        return HookRequest.model_validate(doc)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise Refused(422, " ".join(first["msg"].split()), element_path(first["loc"])) from None


def _response_of(request: HookRequest) -> dict[str, Any] | None:
    """The QuestionnaireResponse of a request: in context, else prefetched (the first
    response of a search Bundle); None when the client says there is none."""
    if PREFETCH_KEY in request.context:
        found = request.context[PREFETCH_KEY]
        where = f"context.{PREFETCH_KEY}"
    elif request.prefetch is not None and PREFETCH_KEY in request.prefetch:
        found = request.prefetch[PREFETCH_KEY]
        where = f"prefetch.{PREFETCH_KEY}"
    else:
        raise Refused(
            412,
            f"no answers: give the QuestionnaireResponse as prefetch {PREFETCH_KEY!r} "
            f"or context {PREFETCH_KEY!r}",
        )
    if found is None:
        return None
    if not isinstance(found, dict):
        raise Refused(422, "expected a QuestionnaireResponse or a Bundle of them", where)
    if found.get("resourceType") != "Bundle":
        return found
    entries = found.get("entry") if isinstance(found.get("entry"), list) else []
    for entry in entries:
        resource = entry.get("resource") if isinstance(entry, dict) else None
        if isinstance(resource, dict) and resource.get("resourceType") == "QuestionnaireResponse":
            return resource
    return None


def card(record: dict[str, Any], rb: RuleBase) -> Card:
    """The card of a result record."""
    identity = record["rulebase"]
    summary = record["label"]
    if len(summary) > SUMMARY_MAX:
        summary = summary[: SUMMARY_MAX - 1] + "…"
    topic = Coding(
        system=c.code_system_url(identity["name"], "dispositions"),
        code=record["disposition"],
        display=disposition_display(record["disposition"]),
    )
    return Card(
        summary=summary,
        detail=detail(record, rb),
        indicator=INDICATORS.get(record["disposition"], "info"),
        source=Source(
            label=f"{identity['name']} {identity['version']} (sha256 {identity['sha256'][:12]})",
            topic=topic,
        ),
    )


def detail(record: dict[str, Any], rb: RuleBase) -> str:
    """Why and what to do, in Markdown: the reasons with their sources, the plan, the
    cautions, what was not answered, and the rule base's full identity."""
    out = ["**Why**", ""]
    for r in record["reasons"]:
        if r.get("noted", True):
            names = "; ".join(r.get("source_names") or [])
            out.append(f"- {_md(r['text'])}" + (f" (Source: {_md(names)}.)" if names else ""))
    out += ["", "**What to do**", ""]
    out += [f"- {_md(line)}" for line in plan_lines(record["plan"])]
    if record["cautions"]:
        out += ["", "**Cautions**", ""]
        out += [f"- {_md(x['text'])}" for x in record["cautions"]]
    if record["unanswered"]:
        out += ["", "**Not answered** (read as not present):", ""]
        out += [f"- {_md(question_text(rb.questions[q]))}" for q in record["unanswered"]]
    identity = record["rulebase"]
    out += [
        "",
        f"Rule base {_md(identity['name'])} {identity['version']}, sha256 `{identity['sha256']}`.",
    ]
    return "\n".join(out)


def plan_lines(plan: dict[str, Any]) -> list[str]:
    """The plan's main steps, one line each: the next step first."""
    first = next_step(plan)
    lines = [first]
    if "emergency" in plan:
        lines.append(plan["emergency"]["meanwhile"]["text"])
    if "doctor" in plan:
        findings = "; ".join(plan["doctor"]["findings"])
        lines.append(plan["doctor"]["tell_them"]["text"] + (f" {findings}." if findings else ""))
    if "physical_therapist" in plan:
        lines += [x["text"] for x in plan["physical_therapist"]["meanwhile"]]
    if "tools" in plan:
        lines.append(plan["tools"]["placement"]["text"])
    if "tools_avoided" in plan:
        lines.append(plan["tools_avoided"]["text"])
    for routine in plan.get("routines", {}).values():
        names = ", ".join(e["name"] for e in routine["exercises"])
        lines.append(f"{routine['title']}: {names}.")
    return [line for i, line in enumerate(lines) if line and line not in lines[:i]]


def _md(text: str) -> str:
    """Plain text made safe in Markdown: no character starts emphasis, a link or HTML."""
    for ch in "\\`*_[]<>#|":
        text = text.replace(ch, "\\" + ch)
    return text
