"""The codes of answers, dispositions and rules, and the CodeSystems that publish them.

A yes/no question is not a FHIR ``boolean``: its answer may be "not sure", so it is a
``choice`` with three codes. Choice and multi values keep their catalogue names as codes;
a value that two questions share, or that looks like one of the reserved codes, is qualified
by its question (``location.neck``), so that every code means one thing.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from fhir.resources.R4B.codesystem import (
    CodeSystem,
    CodeSystemConcept,
    CodeSystemConceptProperty,
    CodeSystemProperty,
)
from fhir.resources.R4B.coding import Coding

from ..knowledge import RuleBase
from ..questions import Question
from ..typed import label
from .canonical import code_system_id, code_system_url, computable_name
from .narrative import narrative

#: The yes/no answers, and "none of these" for a multi question answered with no value.
YESNO_CODES = {"yes": "Yes", "no": "No", "unsure": "Not sure"}
NONE_CODE = "none"
NONE_DISPLAY = "None of these"
_DEFINITIONS = {
    "yes": "The person has it.",
    "no": "The person does not have it.",
    "unsure": "The person cannot rule it out. A warning sign answered so is never read as "
    "absent: its rule fires in a softened form.",
    NONE_CODE: "None of the values of a question that allows several applies.",
}


@dataclass(frozen=True)
class AnswerCodes:
    """Each question value's code in the answers CodeSystem, and back."""

    system: str
    codes: dict[tuple[str, str], str]  # (question id, value) -> code
    values: dict[tuple[str, str], str]  # (question id, code) -> value

    def code(self, q: Question, value: str) -> str:
        """The code of one answer value (a yes/no value is its own code)."""
        return value if q.type == "yesno" else self.codes[(q.id, value)]

    def value(self, q: Question, code: str) -> str | None:
        """The value a code stands for in question ``q``; None if it is not one of its codes."""
        if q.type == "yesno":
            return code if code in YESNO_CODES else None
        return self.values.get((q.id, code))

    def coding(self, q: Question, value: str) -> Coding:
        """An answer value as a Coding, with the words the interview shows."""
        display = YESNO_CODES[value] if q.type == "yesno" else label(q, value)
        return Coding(system=self.system, code=self.code(q, value), display=display)

    def none(self) -> Coding:
        """The answer of a multi question for "none of these"."""
        return Coding(system=self.system, code=NONE_CODE, display=NONE_DISPLAY)


_CODES: dict[tuple[str, str], AnswerCodes] = {}


def answer_codes(rb: RuleBase) -> AnswerCodes:
    """The answer codes of a rule base (computed once per rule base content, its sha256, and
    canonical base)."""
    key = (rb.sha256, code_system_url(rb, "answers"))
    codes = _CODES.get(key)
    if codes is None:
        codes = _CODES[key] = _answer_codes(rb)
    return codes


def _answer_codes(rb: RuleBase) -> AnswerCodes:
    reserved = {*YESNO_CODES, NONE_CODE}
    questions = sorted(rb.questions.values(), key=lambda q: q.order)
    valued = [q for q in questions if q.type in ("choice", "multi")]
    counts = Counter(v for q in valued for v in q.values)
    codes = {
        (q.id, v): v if counts[v] == 1 and v not in reserved else f"{q.id}.{v}"
        for q in valued
        for v in q.values
    }
    values = {(qid, code): v for (qid, v), code in codes.items()}
    return AnswerCodes(code_system_url(rb, "answers"), codes, values)


def code_system(rb: RuleBase, kind: str) -> CodeSystem:
    """One of the published CodeSystems: ``answers``, ``dispositions`` or ``rules``."""
    concepts, properties = {
        "answers": _answer_concepts,
        "dispositions": _disposition_concepts,
        "rules": _rule_concepts,
    }[kind](rb)
    titles = {
        "answers": f"Answers to the questions of {rb.name}",
        "dispositions": f"What {rb.name} advises a person to do",
        "rules": f"The rules of {rb.name}",
    }
    return CodeSystem(
        id=code_system_id(rb, kind),
        text=narrative(titles[kind], items=(f"{x.code}: {x.display}" for x in concepts)),
        url=code_system_url(rb, kind),
        version=rb.version,
        name=computable_name(rb.name, kind),
        title=titles[kind],
        status="active",
        caseSensitive=True,
        content="complete",
        count=len(concepts),
        property=properties or None,
        concept=concepts,
    )


def _answer_concepts(rb: RuleBase) -> tuple[list[CodeSystemConcept], list[CodeSystemProperty]]:
    codes = answer_codes(rb)
    concepts = [
        CodeSystemConcept(code=code, display=display, definition=_DEFINITIONS[code])
        for code, display in (*YESNO_CODES.items(), (NONE_CODE, NONE_DISPLAY))
    ]
    for q in sorted(rb.questions.values(), key=lambda q: q.order):
        if q.type not in ("choice", "multi"):
            continue
        concepts += [
            CodeSystemConcept(
                code=codes.code(q, v),
                display=label(q, v),
                property=[CodeSystemConceptProperty(code="question", valueCode=q.id)],
            )
            for v in q.values
        ]
    question = CodeSystemProperty(
        code="question", type="code", description="The question (linkId) this value answers."
    )
    return concepts, [question]


def disposition_display(disposition: str) -> str:
    """A disposition in words: "physical_therapist" -> "Physical therapist"."""
    return disposition.replace("_", " ").capitalize()


def _disposition_concepts(
    rb: RuleBase,
) -> tuple[list[CodeSystemConcept], list[CodeSystemProperty]]:
    labels: dict[str, list[str]] = {}
    for o in rb.outcomes:  # most urgent first
        labels.setdefault(o.disposition, []).append(o.label)
    concepts = [
        CodeSystemConcept(code=d, display=disposition_display(d), definition="; ".join(words))
        for d, words in labels.items()
    ]
    return concepts, []


def _rule_concepts(rb: RuleBase) -> tuple[list[CodeSystemConcept], list[CodeSystemProperty]]:
    concepts = [
        CodeSystemConcept(
            code=r.id,
            display=r.title,
            definition=r.reason or r.caution or None,
            property=[CodeSystemConceptProperty(code="tier", valueCode=r.tier)],
        )
        for r in rb.rules
    ]
    tier = CodeSystemProperty(
        code="tier",
        type="code",
        description="The rule's tier: the disposition it concludes, "
        "or caution, advice or resolution.",
    )
    return concepts, [tier]
