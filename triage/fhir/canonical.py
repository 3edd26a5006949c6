"""The canonical URLs of what the project publishes, and the HL7 URLs it uses.

Each published URL is made from the canonical base (``base()``) and the rule base's name, so a
rule base of another name (``--rules``) publishes its own questionnaire and codes, and every
resource names the rule base version it came from. The base is a setting: a clinic publishes
under its own server's address (``TRIAGE_FHIR_BASE``, or ``--fhir-base`` on ``triage serve``
and ``triage export``), and that server answers at the URLs the canonicals name
(``GET [base]/Questionnaire/{id}``, ``/CodeSystem/{id}``, ``/OperationDefinition/{id}``).
"""

from __future__ import annotations

import os
import re
from urllib.parse import urlsplit

from ..knowledge import RuleBase

#: The product's name, as the questionnaire's and the CDS service's title.
TITLE = "Back and neck pain triage"
#: The setting that names the canonical base, and the base used when it is not set.
BASE_ENV = "TRIAGE_FHIR_BASE"
DEFAULT_BASE = "https://triage.example.org/fhir"
FHIR_VERSION = "4.0.1"

# HL7 (SDC and core extensions) and terminology URLs used as published.
SDC = "http://hl7.org/fhir/uv/sdc/StructureDefinition"
ADAPTIVE_EXTENSION = f"{SDC}/sdc-questionnaire-questionnaireAdaptive"
ADAPTIVE_SEARCH_PROFILE = f"{SDC}/sdc-questionnaire-adapt-srch"  # the published questionnaire
ADAPTIVE_PROFILE = f"{SDC}/sdc-questionnaire-adapt"  # the one contained in a response
CORE = "http://hl7.org/fhir/StructureDefinition"
ITEM_CONTROL = f"{CORE}/questionnaire-itemControl"
ITEM_CONTROL_SYSTEM = "http://hl7.org/fhir/questionnaire-item-control"
MIN_VALUE = f"{CORE}/minValue"
MAX_VALUE = f"{CORE}/maxValue"
UNIT = f"{CORE}/questionnaire-unit"
OPTION_EXCLUSIVE = f"{CORE}/questionnaire-optionExclusive"
UCUM = "http://unitsofmeasure.org"

SDC_QUESTIONNAIRE_RESPONSE = f"{SDC}/sdc-questionnaireresponse"
ADAPTIVE_RESPONSE_PROFILE = f"{SDC}/sdc-questionnaireresponse-adapt"
NEXT_QUESTION_OPERATION = (
    "http://hl7.org/fhir/uv/sdc/OperationDefinition/Questionnaire-next-question"
)
NARRATIVE = "http://www.w3.org/1999/xhtml"
#: The systems of the standard codes set beside the project's own (terminology.py).
SNOMED = "http://snomed.info/sct"
LOINC = "http://loinc.org"
#: Where a response's unique identifier is minted: RFC 4122 UUIDs as URNs.
URN_IETF = "urn:ietf:rfc:3986"

CODE_SYSTEMS = ("answers", "dispositions", "rules")
_NOT_ID = re.compile(r"[^A-Za-z0-9\-.]")


class BaseError(ValueError):
    """The canonical base setting is not an absolute http(s) URL."""


def check_base(text: str) -> str:
    """``text`` as a canonical base (no trailing slash); ``BaseError`` names what is wrong."""
    parts = urlsplit(text.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise BaseError(f"canonical base {text!r} is not an absolute http or https URL")
    if parts.query or parts.fragment or any(ch.isspace() for ch in text.strip()):
        raise BaseError(f"canonical base {text!r} has a query, a fragment or a space")
    return text.strip().rstrip("/")


def base() -> str:
    """The canonical base in force: ``TRIAGE_FHIR_BASE``, else the default (an unusable
    setting falls back to the default; the command line refuses it before this is read)."""
    try:
        return check_base(os.environ.get(BASE_ENV) or DEFAULT_BASE)
    except BaseError:
        return DEFAULT_BASE


def extension_url(name: str) -> str:
    """One of the project's own extensions: rulebase-sha256, case-id, case-source, guidance."""
    return f"{base()}/StructureDefinition/{name}"


def case_id_system() -> str:
    """The system of the case ids a GuidanceResponse answers (its ``requestIdentifier``)."""
    return f"{base()}/case-id"


def response_id_system() -> str:
    """The system of the identifiers given to the responses this project writes."""
    return URN_IETF


def operation_definition_url() -> str:
    """The OperationDefinition of ``$next-question`` as this server offers it."""
    return f"{base()}/OperationDefinition/{OPERATION_ID}"


OPERATION_ID = "Questionnaire-next-question"


def resource_id(name: str) -> str:
    """``name`` as a FHIR id (letters, digits, ``-`` and ``.``, at most 64)."""
    return _NOT_ID.sub("-", name)[:64] or "x"


def is_id(text: str) -> bool:
    """Whether ``text`` is a valid FHIR id."""
    return 0 < len(text) <= 64 and not _NOT_ID.search(text)


def computable_name(*parts: str) -> str:
    """A FHIR computable name: "back-neck-triage", "answers" -> "BackNeckTriageAnswers"."""
    words = [w for p in parts for w in re.split(r"[^A-Za-z0-9]+", p) if w]
    name = "".join(w[:1].upper() + w[1:] for w in words)
    return name if name[:1].isalpha() else "X" + name


def questionnaire_id(rb: RuleBase) -> str:
    return resource_id(rb.name)


def questionnaire_url(rb: RuleBase) -> str:
    """The questionnaire's canonical URL (without a version)."""
    return f"{base()}/Questionnaire/{questionnaire_id(rb)}"


def questionnaire_canonical(rb: RuleBase) -> str:
    """The questionnaire's canonical reference with its version: what a response names."""
    return f"{questionnaire_url(rb)}|{rb.version}"


def code_system_id(rb: RuleBase, kind: str) -> str:
    return resource_id(f"{rb.name}-{kind}")


def code_system_url(rb: RuleBase | str, kind: str) -> str:
    """The URL (a coding's ``system``) of one of the CodeSystems: answers, dispositions, rules.

    ``rb`` may be the rule base or its name (a result record carries only the name).
    """
    name = rb if isinstance(rb, str) else rb.name
    return f"{base()}/CodeSystem/{resource_id(f'{name}-{kind}')}"


def library_canonical(identity: dict[str, str]) -> str:
    """The rule base as the module a GuidanceResponse ran: its name and version."""
    return f"{base()}/Library/{resource_id(identity['name'])}|{identity['version']}"
