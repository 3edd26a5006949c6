"""A QuestionnaireResponse as a case, and answers as a QuestionnaireResponse.

A response is checked as a case file is: the FHIR library validates the resource, then each
item is read against the catalogue, and the first problem is the error, naming the field. A
field is ``answers.<linkId>`` for an item's answers (the very field, and for the same mistake
the very message, that a case file gets), or the path of a FHIR element (``status``,
``item[0].answer[0].valueInteger``) for the resource's own structure. Answers are read from
the JSON as sent, so a ``true`` is not taken for ``valueInteger: 1``.

Each problem also has its place as a FHIRPath ``expression``
(``QuestionnaireResponse.item[2].answer[0]``), which an OperationOutcome carries. A response
``entered-in-error`` is refused, never evaluated: it was withdrawn. A multi question answered
"none of these" together with other values (a form filler that ignores ``optionExclusive``
allows it) is read as those values: what the person ticked is never dropped.

``case_from_resource`` is what ``cases.validate_case`` calls for a document with a
``resourceType``; ``bundle_cases`` gives the entries of a Bundle, one case each.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.identifier import Identifier
from fhir.resources.R4B.meta import Meta
from fhir.resources.R4B.narrative import Narrative
from fhir.resources.R4B.questionnaireresponse import (
    QuestionnaireResponse,
    QuestionnaireResponseItem,
    QuestionnaireResponseItemAnswer,
)
from pydantic import ValidationError

from ..cases import Case, CaseError
from ..errors import AnswerError
from ..knowledge import RuleBase
from ..questions import Question
from . import canonical as c
from .codes import NONE_CODE, answer_codes
from .narrative import narrative
from .questionnaire import CONTAINED_ID, arrange, display_links, question_text

STATUSES = ("in-progress", "completed", "amended", "entered-in-error", "stopped")
ROOT = "QuestionnaireResponse"
#: The most JSON values one response may hold: a whole response, with its questionnaire
#: contained, holds a few thousand; the bound keeps a huge one from costing more than that.
MAX_VALUES = 20_000
VALUE_KEYS = {
    "yesno": "valueCoding",
    "choice": "valueCoding",
    "multi": "valueCoding",
    "integer": "valueInteger",
    "number": "valueDecimal",
}


class _Problem(Exception):
    def __init__(self, field: str | None, message: str, expression: str | None = None):
        super().__init__(message)
        self.field, self.message = field, message
        self.expression = expression or fhirpath(field)


@dataclass
class ResponseError(CaseError):
    """A response that could not be read: the case error, and where in the resource the
    problem is, as a FHIRPath expression."""

    expression: str | None = None


def fhirpath(field: str | None) -> str | None:
    """A case error's field as a FHIRPath expression on the response: an element path as it
    is, an ``answers.<linkId>`` as the item with that linkId at any depth."""
    if not field:
        return None
    if field.startswith("answers."):
        link = field.removeprefix("answers.").replace("\\", "\\\\").replace("'", "\\'")
        return f"{ROOT}.repeat(item).where(linkId = '{link}')"
    return f"{ROOT}.{field}"


def case_from_resource(
    raw: dict[str, Any], rb: RuleBase, *, source: str, default_id: str
) -> Case | CaseError:
    """A FHIR resource read as a case: a valid QuestionnaireResponse, or the error naming the
    field; any other resource is an error."""
    if not isinstance(raw, dict):
        return CaseError(default_id, source, "expected a QuestionnaireResponse (a JSON object)")
    given = raw.get("id")
    case_id = given if isinstance(given, str) and given else default_id
    try:
        answers = _read_answers(raw, rb)
    except _Problem as exc:
        return ResponseError(case_id, source, exc.message, exc.field, exc.expression)
    raw_answers = {q: list(v) if isinstance(v, tuple) else v for q, v in answers.items()}
    return Case(case_id, source, answers, raw_answers=raw_answers)


def _read_answers(raw: dict[str, Any], rb: RuleBase) -> dict[str, Any]:
    """The canonical answers of a QuestionnaireResponse (raises ``_Problem``)."""
    kind = raw.get("resourceType")
    if kind != "QuestionnaireResponse":
        hint = " (a Bundle holds several cases: give it as a file)" if kind == "Bundle" else ""
        raise _Problem("resourceType", f"expected QuestionnaireResponse, got {_show(kind)}{hint}")
    bounded(raw)
    no_nulls(raw)
    validate(QuestionnaireResponse, raw)
    if raw["status"] not in STATUSES:
        raise _Problem(
            "status", f"expected one of {', '.join(STATUSES)}, got {_show(raw['status'])}"
        )
    if raw["status"] == "entered-in-error":
        raise _Problem("status", "this response was entered in error: it is not evaluated")
    _check_questionnaire(raw.get("questionnaire"), rb)
    answers: dict[str, Any] = {}
    _read_items(raw.get("item") or [], rb, None, answers, set(), ROOT)
    return answers


def bounded(raw: Any, most: int = MAX_VALUES) -> None:
    """Refuse a document of more than ``most`` JSON values, before any model is built."""
    stack, count = [raw], 0
    while stack:
        node = stack.pop()
        count += 1
        if count > most:
            raise _Problem(None, f"too large: over {most:,} JSON values in one resource")
        if isinstance(node, dict):
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)


def no_nulls(node: Any, where: str = "") -> None:
    """Refuse a ``null`` anywhere, naming its element: FHIR JSON leaves an absent element out,
    and the FHIR library would take a null for one, which the reader does not (the only nulls
    FHIR allows, in the ``_element`` arrays that align extensions, are left to the library)."""
    stack: list[tuple[Any, str]] = [(node, where)]
    while stack:
        node, where = stack.pop()
        if isinstance(node, dict):
            for key, value in reversed(node.items()):
                path = f"{where}.{key}" if where else str(key)
                if value is None:
                    raise _Problem(path, "null is not a value (leave the element out)")
                if not str(key).startswith("_"):
                    stack.append((value, path))
        elif isinstance(node, list):
            for i, value in reversed(list(enumerate(node))):
                if value is None:
                    raise _Problem(f"{where}[{i}]", "null is not a value (leave the item out)")
                stack.append((value, f"{where}[{i}]"))


def validate(model: Any, raw: dict[str, Any]) -> Any:
    """The resource validated by the FHIR library; its first fault as a ``_Problem``."""
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = element_path(first["loc"])
        message = " ".join(str(first["msg"]).split())
        raise _Problem(where or None, message[:200]) from None
    except (ValueError, TypeError, RecursionError) as exc:
        raise _Problem(None, f"not a valid resource: {' '.join(str(exc).split())[:200]}") from None


def element_path(loc: tuple[Any, ...]) -> str:
    """A pydantic error location as a FHIR element path: ``item[0].answer[0].valueInteger``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def _check_questionnaire(ref: Any, rb: RuleBase) -> None:
    """A response names this questionnaire (any version), its contained one, or nothing."""
    if ref is None or ref.startswith("#"):
        return
    if ref.split("|", 1)[0] != c.questionnaire_url(rb):
        raise _Problem(
            "questionnaire", f"expected {c.questionnaire_canonical(rb)}, got {_show(ref)}"
        )


def _read_items(
    items: list[dict[str, Any]],
    rb: RuleBase,
    group: str | None,
    answers: dict[str, Any],
    seen: set[str],
    path: str,
) -> None:
    """Read ``items`` (of ``group``, or at the top, whose FHIRPath is ``path``) into
    ``answers``."""
    displays = display_links(rb)
    for i, item in enumerate(items):
        here = f"{path}.item[{i}]"
        link = item["linkId"]
        if link in displays and not item.get("answer"):
            continue
        if link in seen:
            raise _Problem(f"answers.{link}", f"linkId {link!r} appears twice", here)
        seen.add(link)
        if link in rb.groups and group is None:
            if item.get("answer"):
                raise _Problem(f"answers.{link}", "a group item has no answer", here)
            _read_items(item.get("item") or [], rb, link, answers, seen, here)
            continue
        q = rb.questions.get(link)
        if q is None:
            raise _Problem(
                f"answers.{link}",
                f"unknown linkId {link!r}: no question or group of {rb.name}",
                f"{here}.linkId",
            )
        if q.group and group not in (None, q.group):
            raise _Problem(
                f"answers.{link}", f"{link!r} belongs in group {q.group!r}, not {group!r}", here
            )
        if item.get("item"):
            raise _Problem(f"answers.{link}", "a question item holds no items", f"{here}.item[0]")
        try:
            value = _value(q, item.get("answer") or [], rb)
        except _AnswerAt as exc:
            raise _Problem(f"answers.{link}", exc.message, f"{here}.answer[{exc.index}]") from None
        except AnswerError as exc:
            raise _Problem(f"answers.{link}", exc.message, here) from None
        if value is not None:
            answers[link] = value


class _AnswerAt(AnswerError):
    """An answer error in the answer at ``index``."""

    def __init__(self, question: str, message: str, index: int):
        super().__init__(question, message)
        self.index = index


def _value(q: Question, answers: list[dict[str, Any]], rb: RuleBase) -> Any:
    """One question's answers as its canonical value (None: not answered)."""
    if not answers:
        return None
    if q.type != "multi" and len(answers) > 1:
        raise _AnswerAt(q.id, f"expected one answer, got {len(answers)}", 1)
    want = VALUE_KEYS[q.type]
    values = []
    for i, answer in enumerate(answers):
        if answer.get("item"):
            raise _AnswerAt(q.id, "an answer holds no items", i)
        kinds = [k for k in answer if k.startswith("value")]
        if kinds != [want]:
            got = kinds[0] if kinds else "no value"
            raise _AnswerAt(q.id, f"expected {want} ({q.describe_allowed()}), got {got}", i)
        try:
            coded = _coded(q, answer[want], rb) if want == "valueCoding" else answer[want]
        except AnswerError as exc:
            raise _AnswerAt(q.id, exc.message, i) from None
        values.append(coded)
    if q.type == "multi":
        # "None of these" with other values: a filler that ignores optionExclusive let the
        # person tick both; the values ticked stand (dropping them could hide a sign).
        return q.parse([v for v in values if v != NONE_CODE])
    try:
        return q.parse(values[0])  # as sent: "7" or true is refused as a case file refuses it
    except AnswerError as exc:
        raise _AnswerAt(q.id, exc.message, 0) from None


def _coded(q: Question, coding: Any, rb: RuleBase) -> Any:
    """A Coding's code as the value it stands for (an unknown code is left for ``parse``)."""
    if not isinstance(coding, dict):
        raise AnswerError(q.id, f"expected a Coding (an object), got {_show(coding)}")
    codes = answer_codes(rb)
    if coding.get("system") != codes.system:
        raise AnswerError(
            q.id, f"expected a code of {codes.system}, got system {_show(coding.get('system'))}"
        )
    code = coding.get("code")
    if q.type == "multi" and code == NONE_CODE:
        return NONE_CODE
    value = codes.value(q, code) if isinstance(code, str) else None
    return value if value is not None else code


def _show(raw: Any) -> str:
    try:
        text = repr(raw)
    except ValueError:  # an integer of thousands of digits (from YAML hexadecimal, say)
        return "a number too long to show"
    return text if len(text) <= 60 else text[:57] + "..."


# --- writing ---------------------------------------------------------------------------


def new_identifier() -> Identifier:
    """A new, unique identifier for a response: a random UUID as a URN."""
    return Identifier(system=c.response_id_system(), value=f"urn:uuid:{uuid.uuid4()}")


def now() -> str:
    """The time now, as a FHIR dateTime in UTC to the second."""
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def response(
    rb: RuleBase,
    answers: dict[str, Any],
    *,
    case_id: str | None = None,
    status: str = "completed",
    contained: bool = False,
    authored: str | None = None,
) -> QuestionnaireResponse:
    """Answers as a QuestionnaireResponse to the whole questionnaire (or, ``contained``, to
    the adaptive one it contains, which the caller adds), in catalogue order, with a new
    unique identifier, the time it was authored (default: now) and a narrative."""
    ids = sorted(answers, key=lambda q: rb.questions[q].order)
    return QuestionnaireResponse(
        id=case_id if case_id and c.is_id(case_id) else None,
        meta=None if contained else Meta(profile=[c.SDC_QUESTIONNAIRE_RESPONSE]),
        text=None if contained else answers_narrative(rb, answers),
        identifier=new_identifier(),
        questionnaire=f"#{CONTAINED_ID}" if contained else c.questionnaire_canonical(rb),
        status=status,
        authored=authored or now(),
        item=response_items(rb, ids, answers) or None,
    )


def answers_narrative(rb: RuleBase, answers: dict[str, Any]) -> Narrative:
    """The answers in words, in catalogue order, for a clinician reading the response."""
    codes = answer_codes(rb)
    rows = []
    for qid in sorted(answers, key=lambda q: rb.questions[q].order):
        q, value = rb.questions[qid], answers[qid]
        if q.type in ("yesno", "choice"):
            words = codes.coding(q, value).display or str(value)
        elif q.type == "multi":
            words = ", ".join(codes.coding(q, v).display or v for v in value) or "None of these"
        else:
            words = (
                f"{value:g} {q.unit}".strip()
                if isinstance(value, float)
                else f"{value} {q.unit}".strip()
            )
        rows.append((question_text(q), words))
    title = "Answers to the back and neck pain questions"
    return narrative(title, [] if rows else ["No question answered."], rows)


def response_items(
    rb: RuleBase, question_ids: list[str], answers: dict[str, Any]
) -> list[QuestionnaireResponseItem]:
    """The answered items, grouped as the questionnaire groups them."""
    out = []
    for gid, members in arrange(rb, question_ids):
        children = [_answered(rb, rb.questions[q], answers[q]) for q in members]
        if gid is None:
            out += children
        else:
            out.append(
                QuestionnaireResponseItem(linkId=gid, text=rb.groups[gid].title, item=children)
            )
    return out


def _answered(rb: RuleBase, q: Question, value: Any) -> QuestionnaireResponseItem:
    codes = answer_codes(rb)
    if q.type in ("yesno", "choice"):
        answer = [QuestionnaireResponseItemAnswer(valueCoding=codes.coding(q, value))]
    elif q.type == "multi":
        codings = [codes.coding(q, v) for v in value] or [codes.none()]
        answer = [QuestionnaireResponseItemAnswer(valueCoding=x) for x in codings]
    elif q.type == "integer":
        answer = [QuestionnaireResponseItemAnswer(valueInteger=value)]
    else:
        answer = [QuestionnaireResponseItemAnswer(valueDecimal=value)]
    return QuestionnaireResponseItem(linkId=q.id, text=question_text(q), answer=answer)


def response_json(
    rb: RuleBase, answers: dict[str, Any], *, case_id: str | None, status: str
) -> str:
    """A QuestionnaireResponse of these answers as indented JSON (what ``ask --save`` writes)."""
    return response(rb, answers, case_id=case_id, status=status).model_dump_json(indent=2) + "\n"


# --- Bundles ----------------------------------------------------------------------------


def bundle_cases(doc: dict[str, Any], source: str, stem: str) -> Iterator[tuple[str, str, Any]]:
    """(source, default id, raw resource or CaseError) for each entry of a Bundle: one case
    each, in order; a Bundle that is not one, or has no entry, is one error."""
    try:
        bounded({k: v for k, v in doc.items() if k != "entry"})
        validate(Bundle, {k: v for k, v in doc.items() if k != "entry"})
    except _Problem as exc:
        yield source, stem, CaseError(stem, source, exc.message, exc.field)
        return
    entries = doc.get("entry")
    if not isinstance(entries, list):
        problem = "empty Bundle: no case" if entries is None else "must be a list"
        yield source, stem, CaseError(stem, source, problem, None if entries is None else "entry")
        return
    if not entries:
        yield source, stem, CaseError(stem, source, "empty Bundle: no case")
    for i, entry in enumerate(entries, 1):
        case_id = f"{stem}[{i}]"
        resource = entry.get("resource") if isinstance(entry, dict) else None
        if not isinstance(resource, dict):
            message = "a Bundle entry holds its QuestionnaireResponse in 'resource'"
            yield source, case_id, CaseError(case_id, source, message, f"entry[{i - 1}].resource")
        else:
            yield source, case_id, resource
