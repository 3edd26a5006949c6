"""A result as a GuidanceResponse, an error record as an OperationOutcome, and the batch writer.

A GuidanceResponse is FHIR's record of one run of a decision-support module: what ran
(``moduleCanonical``: the rule base's name and version, with its sha256 in an extension), on
which request (the case id), whether it ran to the end (``success``; ``data-required``
while a question that could change the outcome is unanswered, each such question then a
``dataRequirement`` naming its linkId, so that no one reads a self-care result as final),
why (``reasonCode``: each reason's rule and its words) and what it concluded
(``outputParameters``: the disposition so far, timeframe, label, the fired rules and the
unanswered questions). That is the result record's
contract, in a form a FHIR store keeps as an audit trail. (A RiskAssessment or a
ClinicalImpression would speak of the patient's condition, which triage does not assess.)

The outputs are a Parameters resource, contained in the GuidanceResponse; inside a
QuestionnaireResponse (``$next-question``), both sit side by side in its ``contained``,
because a contained resource contains nothing itself.
"""

from __future__ import annotations

from typing import Any

from fhir.resources.R4B.annotation import Annotation
from fhir.resources.R4B.codeableconcept import CodeableConcept
from fhir.resources.R4B.coding import Coding
from fhir.resources.R4B.datarequirement import DataRequirement
from fhir.resources.R4B.extension import Extension
from fhir.resources.R4B.guidanceresponse import GuidanceResponse
from fhir.resources.R4B.identifier import Identifier
from fhir.resources.R4B.narrative import Narrative
from fhir.resources.R4B.operationoutcome import OperationOutcome, OperationOutcomeIssue
from fhir.resources.R4B.parameters import Parameters, ParametersParameter
from fhir.resources.R4B.reference import Reference

from ..formats import Encoding, JsonLinesWriter
from . import canonical as c
from .codes import disposition_display
from .narrative import narrative

GUIDANCE_ID = "guidance"
OUTPUT_ID = "guidance-output"


def guidance(record: dict[str, Any], *, contained: bool = True) -> GuidanceResponse:
    """The GuidanceResponse of a result record, its outputs contained (or, with
    ``contained=False``, referenced as ``#guidance-output`` for the caller to place)."""
    identity = record["rulebase"]
    outputs = parameters(record)
    rules = c.code_system_url(identity["name"], "rules")
    reasons = [
        CodeableConcept(
            coding=[Coding(system=rules, code=r["rule"], display=r["title"])], text=r["text"]
        )
        for r in record["reasons"]
    ]
    complete = bool(record["complete"])
    unanswered = list(record["unanswered"])
    note = record["label"] if complete else f"{NOT_COMPLETE} {record['label']}"
    return GuidanceResponse(
        id=None if contained else GUIDANCE_ID,
        text=_narrative(record, note, unanswered) if contained else None,
        contained=[outputs] if contained else None,
        extension=[
            Extension(url=c.extension_url("rulebase-sha256"), valueString=identity["sha256"]),
            *_case_extensions(record),
        ],
        requestIdentifier=Identifier(system=c.case_id_system(), value=str(record["id"])),
        moduleCanonical=c.library_canonical(identity),
        status="success" if complete else "data-required",
        reasonCode=reasons or None,
        note=[Annotation(text=note)],
        outputParameters=Reference(reference=f"#{OUTPUT_ID}"),
        dataRequirement=[_requirement(q) for q in unanswered] or None,
    )


#: What a GuidanceResponse that is not complete says before the result so far.
NOT_COMPLETE = (
    "Not complete: questions that could change this result are unanswered. Result so far:"
)


def _requirement(question: str) -> DataRequirement:
    """An unanswered question as data the module requires: an answer to that item."""
    return DataRequirement(
        type="QuestionnaireResponse",
        mustSupport=["item.answer"],
        extension=[Extension(url=c.extension_url("unanswered-question"), valueString=question)],
    )


def _narrative(record: dict[str, Any], note: str, unanswered: list[str]) -> Narrative:
    rows = [("Result", note)]
    rows += [("Why", r["text"]) for r in record["reasons"]]
    listed = [f"Unanswered: {q}" for q in unanswered]
    return narrative("Triage result", rows=rows, items=listed)


def parameters(record: dict[str, Any]) -> Parameters:
    """What the run concluded, as named parameters (repeated ones in order)."""
    name = record["rulebase"]["name"]
    disposition = Coding(
        system=c.code_system_url(name, "dispositions"),
        code=record["disposition"],
        display=disposition_display(record["disposition"]),
    )
    params = [ParametersParameter(name="disposition", valueCoding=disposition)]
    if record["timeframe"]:
        params.append(ParametersParameter(name="timeframe", valueCode=record["timeframe"]))
    params.append(ParametersParameter(name="label", valueString=record["label"]))
    params.append(ParametersParameter(name="complete", valueBoolean=record["complete"]))
    rules = c.code_system_url(name, "rules")
    params += [
        ParametersParameter(name="fired", valueCoding=Coding(system=rules, code=rule))
        for rule in record["fired"]
    ]
    params += [ParametersParameter(name="unanswered", valueString=q) for q in record["unanswered"]]
    return Parameters(id=OUTPUT_ID, parameter=params)


def outcome(record: dict[str, Any], code: str = "invalid") -> OperationOutcome:
    """An error record as an OperationOutcome: the one line, and its field."""
    error = record["error"]
    where = f"{record['source']}: case '{record['id']}'"
    field = error.get("field")
    expression = error.get("expression")  # a case file's field is not a FHIRPath
    line = f"{where}: {field}: {error['message']}" if field else f"{where}: {error['message']}"
    return OperationOutcome(
        extension=_case_extensions(record) or None,
        issue=[
            OperationOutcomeIssue(
                severity="error",
                code=code,
                details=CodeableConcept(text=error["message"]),
                diagnostics=line,
                expression=[expression] if expression else None,
            )
        ],
    )


def _case_extensions(record: dict[str, Any]) -> list[Extension]:
    out = []
    if record.get("id") is not None:
        out.append(Extension(url=c.extension_url("case-id"), valueString=str(record["id"])))
    if record.get("source"):
        out.append(Extension(url=c.extension_url("case-source"), valueString=str(record["source"])))
    return out


def resource_line(record: dict[str, Any]) -> bytes:
    """A record as one line of a FHIR resource (NDJSON, as FHIR bulk data is written)."""
    resource = outcome(record) if "error" in record else guidance(record)
    return (resource.model_dump_json() + "\n").encode("utf-8")


RESOURCE_LINES = Encoding(resource_line, b"")


def resource_lines(records: list[dict[str, Any]]) -> bytes:
    """Records as FHIR resources, one per line."""
    return RESOURCE_LINES(records)


class FhirLinesWriter(JsonLinesWriter):
    """``triage batch --format fhir``: a GuidanceResponse per result, an OperationOutcome per
    error record, in input order; the workers build them (``encode``)."""

    encode = RESOURCE_LINES

    def write(self, record: dict[str, Any]) -> None:
        self.write_encoded(resource_lines([record]), 1)
