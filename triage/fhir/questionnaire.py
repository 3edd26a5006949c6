"""The question catalogue as an SDC adaptive Questionnaire: whole, or as the screens asked so far.

One item per question, its ``linkId`` the question id. A yes/no question is a ``choice`` of
yes, no and not sure; a multi question repeats, with an exclusive "none of these"; integer and
number questions carry their range and unit. A group of the catalogue is a ``group`` item, and a
question that belongs to a group is always a child of its group's item (in the whole
questionnaire, in every screen and in every response), so a form shows the checklist as the
interview does. Help text is a child ``display`` item shown as help, and the reason for asking
is one shown as a flyover. The rule base version is the Questionnaire's version.
"""

from __future__ import annotations

from collections.abc import Iterable

from fhir.resources.R4B.codeableconcept import CodeableConcept
from fhir.resources.R4B.coding import Coding
from fhir.resources.R4B.extension import Extension
from fhir.resources.R4B.meta import Meta
from fhir.resources.R4B.questionnaire import (
    Questionnaire,
    QuestionnaireItem,
    QuestionnaireItemAnswerOption,
)

from ..knowledge import RuleBase
from ..questions import Question
from . import canonical as c
from .codes import answer_codes

CONTAINED_ID = "questionnaire"  # the adaptive questionnaire inside a response
OUTCOME_LINK = "triage-outcome"  # the display item that shows the result at the end
ITEM_TYPES = {
    "yesno": "choice",
    "choice": "choice",
    "multi": "choice",
    "integer": "integer",
    "number": "decimal",
}
#: The catalogue's units, as UCUM codes where UCUM has one.
UCUM_UNITS = {"years": "a", "weeks": "wk", "days": "d", "months": "mo"}


def questionnaire(rb: RuleBase) -> Questionnaire:
    """The whole catalogue, in asking order, marked adaptive: a form filler can ask it screen
    by screen through ``$next-question``, or show it whole."""
    order = sorted(rb.questions.values(), key=lambda q: q.order)
    return Questionnaire(
        id=c.questionnaire_id(rb),
        meta=Meta(profile=[c.ADAPTIVE_SEARCH_PROFILE]),
        extension=[
            Extension(url=c.ADAPTIVE_EXTENSION, valueBoolean=True),
            Extension(url=c.RULEBASE_SHA256, valueString=rb.sha256),
        ],
        url=c.questionnaire_url(rb),
        version=rb.version,
        name=c.computable_name(rb.name),
        title=c.TITLE,
        status="active",
        subjectType=["Patient"],
        description=(
            f"The questions of rule base {rb.name} {rb.version}. Adaptive: $next-question "
            "asks the red flags first and then only what can still change the advice. A "
            "question left unanswered is read as not present."
        ),
        item=items(rb, (q.id for q in order)),
    )


def adaptive(rb: RuleBase, asked: Iterable[str], required: Iterable[str] = ()) -> Questionnaire:
    """The questionnaire contained in an adaptive response: the questions ``asked`` so far, in
    that order (the next screen's last, ``required``), derived from the whole one."""
    return Questionnaire(
        id=CONTAINED_ID,
        meta=Meta(profile=[c.ADAPTIVE_PROFILE]),
        extension=[Extension(url=c.ADAPTIVE_EXTENSION, valueBoolean=True)],
        version=rb.version,
        title=c.TITLE,
        status="active",
        derivedFrom=[c.questionnaire_canonical(rb)],
        item=items(rb, asked, set(required)),
    )


def outcome_item(text: str) -> QuestionnaireItem:
    """The display item that closes an adaptive questionnaire with its result."""
    return QuestionnaireItem(linkId=OUTCOME_LINK, type="display", text=text)


def arrange(rb: RuleBase, question_ids: Iterable[str]) -> list[tuple[str | None, list[str]]]:
    """Questions in the order given, each group's members together where the group first
    appears: ``(group id or None, question ids)`` per top-level item."""
    out: list[tuple[str | None, list[str]]] = []
    where: dict[str, list[str]] = {}
    for qid in dict.fromkeys(question_ids):
        gid = rb.questions[qid].group or None
        if gid is None:
            out.append((None, [qid]))
        elif gid in where:
            where[gid].append(qid)
        else:
            where[gid] = [qid]
            out.append((gid, where[gid]))
    return out


def items(
    rb: RuleBase, question_ids: Iterable[str], required: set[str] | None = None
) -> list[QuestionnaireItem]:
    """The items for these questions, grouped as the catalogue groups them."""
    required = required or set()
    out = []
    for gid, members in arrange(rb, question_ids):
        children = [_question(rb, rb.questions[q], q in required) for q in members]
        if gid is None:
            out += children
            continue
        group = rb.groups[gid]
        out.append(
            QuestionnaireItem(
                linkId=gid,
                type="group",
                text=group.title,
                item=_displays(gid, help_text=group.help) + children,
            )
        )
    return out


def question_text(q: Question) -> str:
    """A question's text: its checklist line inside a group, else its prompt."""
    return (q.item or q.prompt) if q.group else q.prompt


def _question(rb: RuleBase, q: Question, required: bool) -> QuestionnaireItem:
    codes = answer_codes(rb)
    options = None
    extensions = []
    if q.type in ("yesno", "choice", "multi"):
        options = [QuestionnaireItemAnswerOption(valueCoding=codes.coding(q, v)) for v in q.choices]
        if q.type == "multi":
            exclusive = Extension(url=c.OPTION_EXCLUSIVE, valueBoolean=True)
            options.append(
                QuestionnaireItemAnswerOption(valueCoding=codes.none(), extension=[exclusive])
            )
        extensions.append(_control("check-box" if q.type == "multi" else "radio-button"))
    else:
        kind = "valueInteger" if q.type == "integer" else "valueDecimal"
        for url, bound in ((c.MIN_VALUE, q.min), (c.MAX_VALUE, q.max)):
            if bound is not None:
                extensions.append(Extension(url=url, **{kind: bound}))
        if q.unit:
            ucum = UCUM_UNITS.get(q.unit)
            unit = Coding(system=c.UCUM if ucum else None, code=ucum, display=q.unit)
            extensions.append(Extension(url=c.UNIT, valueCoding=unit))
    return QuestionnaireItem(
        linkId=q.id,
        extension=extensions or None,
        text=question_text(q),
        type=ITEM_TYPES[q.type],
        required=True if required else None,
        repeats=True if q.type == "multi" else None,
        answerOption=options,
        item=_displays(q.id, help_text=q.help, why=q.why) or None,
    )


def _displays(link: str, help_text: str = "", why: str = "") -> list[QuestionnaireItem]:
    """Child display items: the help line (shown as help) and why it is asked (a flyover)."""
    out = []
    for suffix, text, control in (("help", help_text, "help"), ("why", why, "flyover")):
        if text:
            out.append(
                QuestionnaireItem(
                    linkId=f"{link}.{suffix}",
                    type="display",
                    text=text,
                    extension=[_control(control)],
                )
            )
    return out


def display_links(rb: RuleBase) -> frozenset[str]:
    """The linkIds of the display items (a response may carry them, without answers)."""
    ids = [*rb.questions, *rb.groups]
    return frozenset(f"{i}.{s}" for i in ids for s in ("help", "why")) | {OUTCOME_LINK}


def _control(code: str) -> Extension:
    coding = Coding(system=c.ITEM_CONTROL_SYSTEM, code=code)
    return Extension(url=c.ITEM_CONTROL, valueCodeableConcept=CodeableConcept(coding=[coding]))
