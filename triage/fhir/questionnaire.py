"""The question catalogue as an SDC adaptive Questionnaire: whole, or as the screens asked so far.

One item per question, its ``linkId`` the question id. A yes/no question is a ``choice`` of
yes, no and not sure; a multi question repeats, with an exclusive "none of these"; integer and
number questions carry their range and unit. A group of the catalogue is a ``group`` item, and a
question that belongs to a group is always a child of its group's item (in the whole
questionnaire, in every screen and in every response), so a form shows the checklist as the
interview does. The rule base version is the Questionnaire's version.

For form fillers that show the whole questionnaire (LHC-Forms among them), the questions that
can lead beyond self-care are ``required``, and a question that matters only in some cases has
``enableWhen`` so that it is shown only then (both derived from the rules: ``enabling.py``).
Help is one child ``display`` item with the ``help`` item control, the reason for asking
after the help line, since few fillers show a ``flyover``; "none of these" is an answer option
that the ``optionExclusive`` extension marks, and where a filler ignores the extension a
response with "none" and other values is read as the other values (``responses.py``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from fhir.resources.R4B.codeableconcept import CodeableConcept
from fhir.resources.R4B.coding import Coding
from fhir.resources.R4B.extension import Extension
from fhir.resources.R4B.meta import Meta
from fhir.resources.R4B.questionnaire import (
    Questionnaire,
    QuestionnaireItem,
    QuestionnaireItemAnswerOption,
    QuestionnaireItemEnableWhen,
)

from ..knowledge import RuleBase
from ..questions import Question
from . import canonical as c
from .codes import answer_codes
from .enabling import Gate, enable_when
from .enabling import required as required_questions
from .narrative import narrative
from .terminology import question_codes

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
_CALENDAR_VERSION = re.compile(r"(?P<year>(19|20)\d\d)\.(?P<month>\d{1,2})(\.\d+)*$")


def questionnaire(rb: RuleBase) -> Questionnaire:
    """The whole catalogue, in asking order, marked adaptive: a form filler can ask it screen
    by screen through ``$next-question``, or show it whole."""
    order = sorted(rb.questions.values(), key=lambda q: q.order)
    description = (
        f"The questions of rule base {rb.name} {rb.version}. Adaptive: $next-question asks "
        "the red flags first and then only what can still change the advice. Shown whole, "
        "the questions that can lead beyond self-care must be answered, and a question that "
        "matters only in some cases is shown only then. No result is final while a required "
        "question is unanswered."
    )
    date = release_date(rb)
    return Questionnaire(
        id=c.questionnaire_id(rb),
        meta=Meta(profile=[c.ADAPTIVE_SEARCH_PROFILE]) if date else None,
        text=narrative(
            c.TITLE,
            [description],
            [("Version", rb.version)],
            items=(question_text(q) for q in order),
        ),
        extension=[
            Extension(url=c.ADAPTIVE_EXTENSION, valueBoolean=True),
            Extension(url=c.extension_url("rulebase-sha256"), valueString=rb.sha256),
        ],
        url=c.questionnaire_url(rb),
        version=rb.version,
        name=c.computable_name(rb.name),
        title=c.TITLE,
        status="active",
        date=date,
        subjectType=["Patient"],
        description=description,
        item=items(rb, (q.id for q in order), whole=True),
    )


def release_date(rb: RuleBase) -> str | None:
    """The rule base's release as a FHIR date, read from a calendar version ("2026.12.1" is
    December 2026); None for a version of another form."""
    match = _CALENDAR_VERSION.match(rb.version)
    if not match or not 1 <= int(match["month"]) <= 12:
        return None
    return f"{match['year']}-{int(match['month']):02d}"


def adaptive(rb: RuleBase, asked: Iterable[str], required: Iterable[str] = ()) -> Questionnaire:
    """The questionnaire contained in an adaptive response: the questions ``asked`` so far, in
    that order (the next screen's last, ``required``), derived from the whole one."""
    return Questionnaire(
        date=release_date(rb),
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
    rb: RuleBase,
    question_ids: Iterable[str],
    must: set[str] | None = None,
    *,
    whole: bool = False,
) -> list[QuestionnaireItem]:
    """The items for these questions, grouped as the catalogue groups them. The ``must``
    ones are required; ``whole``: the whole catalogue, each question required and shown as
    the rules say (``enabling.py``)."""
    must = set(required_questions(rb)) if whole else (must or set())
    out = []
    for gid, members in arrange(rb, question_ids):
        children = [_question(rb, rb.questions[q], q in must, whole) for q in members]
        if gid is None:
            out += children
            continue
        group = rb.groups[gid]
        shown = _group_enable_when(rb, members) if whole else None
        out.append(
            QuestionnaireItem(
                linkId=gid,
                type="group",
                text=group.title,
                item=_displays(gid, help_text=group.help) + children,
                enableWhen=shown,
                enableBehavior="any" if shown and len(shown) > 1 else None,
            )
        )
    return out


def question_text(q: Question) -> str:
    """A question's text: its checklist line inside a group, else its prompt."""
    return (q.item or q.prompt) if q.group else q.prompt


def _question(rb: RuleBase, q: Question, required: bool, whole: bool) -> QuestionnaireItem:
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
    tests, behaviour = enable_when(rb, q.id) if whole else ([], None)
    return QuestionnaireItem(
        linkId=q.id,
        extension=extensions or None,
        code=question_codes(q.id) or None,
        text=question_text(q),
        type=ITEM_TYPES[q.type],
        enableWhen=[_enable_when(rb, t) for t in tests] or None,
        enableBehavior=behaviour,
        required=True if required else None,
        repeats=True if q.type == "multi" else None,
        answerOption=options,
        item=_displays(q.id, help_text=q.help, why=q.why) or None,
    )


def _enable_when(rb: RuleBase, test: Gate) -> QuestionnaireItemEnableWhen:
    q = rb.questions[test.question]
    if q.type in ("integer", "number"):
        kind = "answerInteger" if q.type == "integer" else "answerDecimal"
        return QuestionnaireItemEnableWhen(
            question=q.id, operator=test.operator, **{kind: test.answer}
        )
    coding = answer_codes(rb).coding(q, str(test.answer))
    return QuestionnaireItemEnableWhen(question=q.id, operator="=", answerCoding=coding)


def _group_enable_when(
    rb: RuleBase, members: list[str]
) -> list[QuestionnaireItemEnableWhen] | None:
    """A group is shown when any member would be: only when every member has a single test
    (FHIR's one ``enableBehavior`` cannot say more), else always."""
    tests = []
    for qid in members:
        own, _ = enable_when(rb, qid)
        if len(own) != 1:
            return None
        tests.append(_enable_when(rb, own[0]))
    return tests or None


WHY_PREFIX = "Why we ask: "


def _displays(link: str, help_text: str = "", why: str = "") -> list[QuestionnaireItem]:
    """The help child: one display item with the ``help`` control, the help line and then
    why the question is asked (fillers that show no flyover still show help)."""
    lines = [help_text] if help_text else []
    if why:
        lines.append(WHY_PREFIX + why)
    if not lines:
        return []
    return [
        QuestionnaireItem(
            linkId=f"{link}.help",
            type="display",
            text=" ".join(lines),
            extension=[_control("help")],
        )
    ]


def display_links(rb: RuleBase) -> frozenset[str]:
    """The linkIds of the display items (a response may carry them, without answers; the
    ``.why`` items of earlier versions too)."""
    ids = [*rb.questions, *rb.groups]
    return frozenset(f"{i}.{s}" for i in ids for s in ("help", "why")) | {OUTCOME_LINK}


def _control(code: str) -> Extension:
    coding = Coding(system=c.ITEM_CONTROL_SYSTEM, code=code)
    return Extension(url=c.ITEM_CONTROL, valueCodeableConcept=CodeableConcept(coding=[coding]))
