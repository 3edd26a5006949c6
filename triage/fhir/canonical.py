"""The canonical URLs of what the project publishes, and the HL7 URLs it uses.

Canonical URLs name things; they are not addresses to fetch. Each published URL is made from
``BASE`` and the rule base's name, so a rule base of another name (``--rules``) publishes its
own questionnaire and codes, and every resource names the rule base version it came from.
"""

from __future__ import annotations

import re

from ..knowledge import RuleBase

#: The product's name, as the questionnaire's and the CDS service's title.
TITLE = "Back and neck pain triage"
#: Where the project's own FHIR artefacts (questionnaire, code systems, extensions) live.
BASE = "https://triage.example.org/fhir"

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

# The project's own extensions.
RULEBASE_SHA256 = f"{BASE}/StructureDefinition/rulebase-sha256"
CASE_ID = f"{BASE}/StructureDefinition/case-id"
CASE_SOURCE = f"{BASE}/StructureDefinition/case-source"
GUIDANCE = f"{BASE}/StructureDefinition/guidance"  # on a response: its contained outcome
CASE_ID_SYSTEM = f"{BASE}/case-id"

CODE_SYSTEMS = ("answers", "dispositions", "rules")
_NOT_ID = re.compile(r"[^A-Za-z0-9\-.]")


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
    return f"{BASE}/Questionnaire/{questionnaire_id(rb)}"


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
    return f"{BASE}/CodeSystem/{resource_id(f'{name}-{kind}')}"


def library_canonical(identity: dict[str, str]) -> str:
    """The rule base as the module a GuidanceResponse ran: its name and version."""
    return f"{BASE}/Library/{resource_id(identity['name'])}|{identity['version']}"
