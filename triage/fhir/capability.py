"""What this FHIR server offers, as FHIR says it: the CapabilityStatement (``/fhir/metadata``),
the OperationDefinition of ``$next-question`` and the rule base as a Library.

A client (SMART ``fhirclient``, ``fhir-kit-client``) reads the CapabilityStatement first: the
FHIR version (4.0.1), the formats (JSON only), each resource type with what can be done with
it, and the operation. SDC is named as the implementation guide followed, its profiles as the
supported ones; CDS Hooks, which is not FHIR, is said in words with the URL of its discovery
document. Every canonical URL these name is served here, at the canonical base.
"""

from __future__ import annotations

from fhir.resources.R4B.capabilitystatement import (
    CapabilityStatement,
    CapabilityStatementImplementation,
    CapabilityStatementRest,
    CapabilityStatementRestResource,
    CapabilityStatementRestResourceInteraction,
    CapabilityStatementRestResourceOperation,
    CapabilityStatementRestResourceSearchParam,
    CapabilityStatementSoftware,
)
from fhir.resources.R4B.codeableconcept import CodeableConcept
from fhir.resources.R4B.coding import Coding
from fhir.resources.R4B.extension import Extension
from fhir.resources.R4B.library import Library
from fhir.resources.R4B.operationdefinition import (
    OperationDefinition,
    OperationDefinitionParameter,
)
from fhir.resources.R4B.relatedartifact import RelatedArtifact

from .. import __version__
from ..knowledge import RuleBase
from . import canonical as c
from .narrative import narrative
from .questionnaire import release_date
from .responses import now

SDC_GUIDE = "http://hl7.org/fhir/uv/sdc/ImplementationGuide/hl7.fhir.uv.sdc|3.0.0"
LIBRARY_TYPE = "http://terminology.hl7.org/CodeSystem/library-type"
CDS_NOTE = (
    "CDS Hooks 2.0: the discovery document is at /cds-services (beside /fhir, not under it); "
    "the service answers patient-view with a card from the patient's latest response."
)


def capability_statement(rb: RuleBase) -> CapabilityStatement:
    """This server's CapabilityStatement: an instance, FHIR 4.0.1, JSON only."""
    base = c.base()
    description = (
        f"{c.TITLE}: the questionnaire of rule base {rb.name} {rb.version}, asked screen by "
        "screen with SDC's $next-question, its code systems, and the rule base as a Library."
    )
    resources = [
        _resource(
            "Questionnaire",
            searchable=True,
            profiles=[c.ADAPTIVE_SEARCH_PROFILE, c.ADAPTIVE_PROFILE],
            operation=True,
        ),
        _resource("CodeSystem", searchable=True),
        _resource("OperationDefinition"),
        _resource("Library"),
        _resource(
            "QuestionnaireResponse",
            interactions=[],
            profiles=[c.ADAPTIVE_RESPONSE_PROFILE, c.SDC_QUESTIONNAIRE_RESPONSE],
            documentation="Not stored: given to $next-question and returned by it.",
        ),
    ]
    return CapabilityStatement(
        id="metadata",
        text=narrative(
            f"{c.TITLE}: FHIR server",
            [description, CDS_NOTE],
            [("FHIR version", c.FHIR_VERSION), ("Canonical base", base)],
        ),
        url=f"{base}/CapabilityStatement/metadata",
        version=rb.version,
        name=c.computable_name(rb.name, "server"),
        title=f"{c.TITLE}: FHIR server",
        status="active",
        date=release_date(rb) or now()[:10],
        description=description,
        kind="instance",
        software=CapabilityStatementSoftware(name="triage", version=__version__),
        implementation=CapabilityStatementImplementation(description=description, url=base),
        fhirVersion=c.FHIR_VERSION,
        format=["json", "application/fhir+json"],
        implementationGuide=[SDC_GUIDE],
        rest=[
            CapabilityStatementRest(
                mode="server",
                documentation=f"{description} {CDS_NOTE}",
                resource=resources,
            )
        ],
    )


def _resource(
    kind: str,
    *,
    searchable: bool = False,
    profiles: list[str] | None = None,
    operation: bool = False,
    interactions: list[str] | None = None,
    documentation: str | None = None,
) -> CapabilityStatementRestResource:
    codes = ["read", *(["search-type"] if searchable else [])]
    if interactions is not None:
        codes = interactions
    return CapabilityStatementRestResource(
        type=kind,
        documentation=documentation,
        supportedProfile=profiles or None,
        interaction=[CapabilityStatementRestResourceInteraction(code=i) for i in codes] or None,
        searchParam=[
            CapabilityStatementRestResourceSearchParam(
                name="url",
                type="uri",
                definition=f"http://hl7.org/fhir/SearchParameter/{kind}-url",
                documentation="The canonical URL, with or without |version.",
            )
        ]
        if searchable
        else None,
        operation=[
            CapabilityStatementRestResourceOperation(
                name="next-question", definition=c.operation_definition_url()
            )
        ]
        if operation
        else None,
    )


def operation_definition(rb: RuleBase) -> OperationDefinition:
    """``$next-question`` as offered here: SDC's operation, at the type level only."""
    return OperationDefinition(
        id=c.OPERATION_ID,
        text=narrative(
            "$next-question",
            [
                "Give a QuestionnaireResponse with the answers so far; get it back with the "
                "next screen of questions, or completed with the result."
            ],
        ),
        url=c.operation_definition_url(),
        version=rb.version,
        name="NextQuestion",
        title="Next question (SDC adaptive questionnaire)",
        status="active",
        kind="operation",
        date=release_date(rb) or now()[:10],
        description="SDC's $next-question for the triage questionnaire, at the type level.",
        affectsState=False,
        code="next-question",
        base=c.NEXT_QUESTION_OPERATION,
        resource=["Questionnaire"],
        system=False,
        type=True,
        instance=False,
        outputProfile=c.ADAPTIVE_RESPONSE_PROFILE,
        parameter=[
            OperationDefinitionParameter(
                name="questionnaire-response",
                use="in",
                min=1,
                max="1",
                type="QuestionnaireResponse",
                documentation="The response so far (or the body itself, not in a Parameters).",
            ),
            OperationDefinitionParameter(
                name="return",
                use="out",
                min=1,
                max="1",
                type="QuestionnaireResponse",
                documentation="The response with the next screen, or completed.",
            ),
        ],
    )


def library(rb: RuleBase) -> Library:
    """The rule base as the logic library that a GuidanceResponse names as its module."""
    identity = rb.identity()
    kinds = [("depends-on", c.questionnaire_canonical(rb))] + [
        ("depends-on", f"{c.code_system_url(rb, kind)}|{rb.version}") for kind in c.CODE_SYSTEMS
    ]
    return Library(
        id=c.resource_id(rb.name),
        text=narrative(
            f"Rule base {rb.name}",
            [f"Version {rb.version}, {len(rb.rules)} rules."],
            [("sha256", rb.sha256)],
        ),
        extension=[Extension(url=c.extension_url("rulebase-sha256"), valueString=rb.sha256)],
        url=c.library_canonical(identity).split("|", 1)[0],
        version=rb.version,
        name=c.computable_name(rb.name, "rules"),
        title=f"{c.TITLE}: rule base",
        status="active",
        date=release_date(rb),
        type=CodeableConcept(coding=[Coding(system=LIBRARY_TYPE, code="logic-library")]),
        description=f"The rules of {rb.name} {rb.version} (sha256 {rb.sha256}).",
        relatedArtifact=[RelatedArtifact(type=t, resource=r) for t, r in kinds],
    )
