"""SDC ``$next-question``: a QuestionnaireResponse with the answers so far, back with the next
screen added, or completed with the outcome attached. Framework-free: body in, ``Reply`` out.

The request is the response itself or, as SDC defines the operation's input, a Parameters
resource whose ``questionnaire-response`` parameter holds it. The answers are read exactly as
``triage batch`` reads a response (any bad one is a 422 with the same one line), the engine
chooses the next screen as it does for ``triage ask``, and the reply is the response, with:

- ``contained``: the adaptive questionnaire (profile ``sdc-questionnaire-adapt``, derived
  from the whole one) holding the items asked so far, in the order they were answered, then
  the next screen's items, required; ``questionnaire`` points at it (``#questionnaire``);
- ``status`` ``in-progress`` while a screen remains; at the end ``completed``, the contained
  questionnaire closing with a display item (``triage-outcome``) that says the result in
  words, and the outcome for machines as a contained GuidanceResponse (``#guidance``, with its
  Parameters beside it) that the extension ``.../StructureDefinition/guidance`` points at.

What the client sent besides (id, subject, author, ...) is kept; its items are given back in
the catalogue's form, and its narrative is made anew from the answers. The reply meets SDC's
adaptive response profile (``sdc-questionnaireresponse-adapt``, which it declares): it is
``authored`` now, has a unique ``identifier`` (the client's, else a new one), and a
``subject``: the client's, else a Patient reference that only says the person is not
identified here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fhir.resources.R4B.extension import Extension
from fhir.resources.R4B.meta import Meta
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse
from fhir.resources.R4B.reference import Reference

from ..cases import Case, CaseError
from ..service import Triage
from ..words import next_step
from . import canonical as c
from .guidance import GUIDANCE_ID, guidance, parameters
from .questionnaire import adaptive, outcome_item
from .replies import FHIR_JSON, Refused, Reply, fhir_refusal, read_json
from .responses import (
    answers_narrative,
    case_from_resource,
    new_identifier,
    now,
    response_items,
)

SOURCE = "$next-question"  # a result's ``source`` for a response that came in a request
UNIDENTIFIED = "The person answering (not identified to this service)"
PARAMETER = "questionnaire-response"


def next_question(
    body: bytes,
    triage: Triage | None = None,
    region: str | None = None,
    audit: Callable[[dict[str, Any]], object] | None = None,
) -> Reply:
    """POST ``[base]/Questionnaire/$next-question``: the response, advanced by one screen.

    ``audit`` is given the result record when the interview ends (for the audit log)."""
    triage = triage or Triage.load()
    try:
        raw = _response_of(read_json(body))
        case = case_from_resource(raw, triage.rulebase, source=SOURCE, default_id="next-question")
        if isinstance(case, CaseError):
            raise Refused(
                422, case.message, case.field, expression=getattr(case, "expression", None)
            )
    except Refused as exc:
        return fhir_refusal(exc)
    qr = advance(triage, QuestionnaireResponse.model_validate(raw), case, region, audit)
    return Reply(200, qr.model_dump_json().encode("utf-8"), FHIR_JSON)


def _response_of(doc: Any) -> dict[str, Any]:
    """The QuestionnaireResponse of a request: the body itself, or its Parameters' one."""
    if isinstance(doc, dict) and doc.get("resourceType") == "Parameters":
        params = doc.get("parameter")
        found = [
            p.get("resource")
            for p in (params if isinstance(params, list) else [])
            if isinstance(p, dict) and p.get("name") == PARAMETER
        ]
        if len(found) != 1 or not isinstance(found[0], dict):
            raise Refused(
                422,
                f"a Parameters request holds one resource named {PARAMETER!r}",
                "parameter",
                expression="Parameters.parameter",
            )
        return found[0]
    if not isinstance(doc, dict):
        raise Refused(422, "expected a QuestionnaireResponse (a JSON object)")
    return doc


def advance(
    triage: Triage,
    qr: QuestionnaireResponse,
    case: Case,
    region: str | None = None,
    audit: Callable[[dict[str, Any]], object] | None = None,
) -> QuestionnaireResponse:
    """The response (whose answers are ``case``) with the next screen added to its
    questionnaire, or completed."""
    rb = triage.rulebase
    answers = case.answers
    asked = [link for link in _links(qr.item or []) if link in answers]
    ev = triage.evaluate(answers)
    screen = ev.screen
    extensions = [e for e in qr.extension or [] if e.url != c.extension_url("guidance")]
    if screen is not None:
        following = [q.id for q in screen.questions]
        contained: list[Any] = [adaptive(rb, asked + following, required=following)]
        status = "in-progress"
    else:
        record = triage.result(case, region=region, evaluation=ev)
        if audit is not None:
            audit(record)
        questionnaire = adaptive(rb, asked)
        questionnaire.item = [*(questionnaire.item or []), outcome_item(outcome_text(record))]
        contained = [questionnaire, guidance(record, contained=False), parameters(record)]
        extensions.append(
            Extension(
                url=c.extension_url("guidance"),
                valueReference=Reference(reference=f"#{GUIDANCE_ID}"),
            )
        )
        status = "completed"
    meta = qr.meta.model_copy() if qr.meta else Meta()
    meta.profile = [*dict.fromkeys([*(meta.profile or []), c.ADAPTIVE_RESPONSE_PROFILE])]
    return qr.model_copy(
        update={
            "meta": meta,
            "identifier": qr.identifier or new_identifier(),
            "authored": now(),
            "subject": qr.subject or Reference(type="Patient", display=UNIDENTIFIED),
            "text": answers_narrative(rb, answers),
            "contained": contained,
            "extension": extensions or None,
            "questionnaire": f"#{contained[0].id}",
            "status": status,
            "item": response_items(rb, asked, answers) or None,
        }
    )


def _links(items: list[Any]) -> list[str]:
    """The linkIds of a response's items, depth first, in order."""
    out = []
    for item in items:
        out.append(item.linkId)
        out += _links(item.item or [])
    return out


def outcome_text(record: dict[str, Any]) -> str:
    """The result in words, for the display item that ends the questionnaire."""
    main = [r for r in record["reasons"] if r.get("main")]
    parts = [f"{record['label']}."]
    if main:
        parts.append(f"Why: {main[0]['text']}")
    parts.append(f"What to do now: {next_step(record['plan'])}")
    parts.append(record["disclaimer"])
    return "\n\n".join(parts)
