"""The interview as screens over HTTP, with no state but the answers the client sends back.

A screen is one question, or the needed members of a group of yes/no questions
(``Evaluation.screen``). The engine picks each screen from the answers given so far alone, so
the answers are the whole state: ``replay`` finds again which screens led to them (for Back
and for the record's ``asked``), and ``read_screen`` turns a submitted page into answers.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from ..engine import Evaluation, Progress, Screen
from ..questions import Group, Question
from ..service import Triage
from ..typed import InputError, label, parse_typed

YESNO_LABELS = {"yes": "Yes", "no": "No", "unsure": "Not sure"}


@dataclass(frozen=True)
class Replay:
    """The screens that led to a set of answers, and where they lead now."""

    screens: list[tuple[str, ...]]  # the question ids of each screen answered, in order
    asked: list[dict[str, str]]  # each question asked, with the rule that needed it
    evaluation: Evaluation  # of all the answers


def replay(triage: Triage, answers: Mapping[str, Any]) -> Replay:
    """Re-trace the interview that gave ``answers``: from none, each screen the engine would
    show, as long as every one of its questions is answered.

    Answers that no screen reached (given up front, as ``triage ask --answers`` allows) still
    count in the evaluation; they are simply not part of any screen, so Back keeps them.
    """
    given: dict[str, Any] = {}
    screens: list[tuple[str, ...]] = []
    asked: list[dict[str, str]] = []
    while True:
        ev = triage.evaluate(given)
        screen = ev.screen
        if screen is None or any(q.id not in answers for q in screen.questions):
            break
        ids = tuple(q.id for q in screen.questions)
        screens.append(ids)
        asked += [{"question": q, "needed_by": ev.needs[q][0]} for q in ids]
        given.update((q, answers[q]) for q in ids)
    if len(given) < len(answers):
        ev = triage.evaluate(answers)
    return Replay(screens, asked, ev)


def read_screen(
    screen: Screen, form: Mapping[str, list[str]], none_of_these: bool = False
) -> tuple[dict[str, Any], dict[str, str]]:
    """The answers a submitted page gives to a screen's questions, and what is wrong with any.

    Each question's inputs are named ``q.<id>``. "None of these" answers no to each yes/no
    question left blank, never over an answer given (a yes stays a yes).
    """
    answers: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for q in screen.questions:
        values = form.get(f"q.{q.id}", [])
        if q.type == "multi":  # no box ticked is an answer: none of them
            text = " ".join(v for v in values if v.strip()) or "none"
        else:
            text = values[-1].strip() if values else ""
        if not text:
            if none_of_these and q.type == "yesno":
                answers[q.id] = "no"
            else:
                errors[q.id] = "Please choose an answer." if q.choices else "Please type an answer."
            continue
        try:
            answers[q.id] = parse_typed(q, text)
        except InputError as exc:
            message = str(exc)
            errors[q.id] = message[:1].upper() + message[1:] + "."
    return answers, errors


def choices(q: Question) -> list[dict[str, str]]:
    """A question's allowed values with the words a person sees."""
    if q.type == "yesno":
        return [{"value": v, "label": label} for v, label in YESNO_LABELS.items()]
    return [{"value": v, "label": label(q, v)} for v in q.values]


def question_json(q: Question, needed_by: list[str] | None = None) -> dict[str, Any]:
    """One question as the API describes it."""
    out: dict[str, Any] = {
        "id": q.id,
        "type": q.type,
        "prompt": q.prompt,
        "item": q.item or q.prompt,
        "help": q.help,
        "why": q.why,
        "group": q.group or None,
    }
    if q.choices:
        out["values"] = choices(q)
    if q.type in ("integer", "number"):
        out.update(min=q.min, max=q.max, unit=q.unit)
    if needed_by is not None:
        out["needed_by"] = needed_by
    return out


def group_json(group: Group) -> dict[str, Any]:
    """A group of yes/no questions asked on one screen."""
    return {
        "id": group.id,
        "title": group.title,
        "help": group.help,
        "members": list(group.members),
    }


def progress_json(p: Progress) -> dict[str, int]:
    """Screens done and left, and the "step 4 of about 9" a page shows."""
    return {"done": p.done, "left": p.left, "step": p.step, "total": p.total}


def screen_json(screen: Screen, ev: Evaluation) -> dict[str, Any]:
    """The next screen as the API returns it."""
    return {
        "questions": [question_json(q, ev.needs.get(q.id, [])) for q in screen.questions],
        "group": group_json(screen.group) if screen.group else None,
        "progress": progress_json(screen.progress),
    }


class ScreenEncoder:
    """``screen_json`` for the API's hot path: each question's fixed part (all but
    ``needed_by``) encoded once per rule base, as bytes, so that a screen only encodes what
    changes. The bytes are those ``json_bytes`` gives for the whole screen; immutable, so
    requests share nothing they could change."""

    def __init__(self, questions: Iterable[Question], groups: Iterable[Group]):
        self.fixed: dict[str, bytes] | None = {}
        try:
            for g in groups:
                orjson.dumps(group_json(g))
        except orjson.JSONEncodeError:
            questions = ()
            self.fixed = None
        for q in questions:
            try:
                encoded = orjson.dumps(question_json(q))
            except orjson.JSONEncodeError:  # json_bytes' slower fallback: no shortcut then
                self.fixed = None
                break
            self.fixed[q.id] = encoded[:-1] + b',"needed_by":'  # reopened for needed_by

    def screen(self, screen: Screen, ev: Evaluation) -> dict[str, Any]:
        """``screen_json(screen, ev)``, with each question already encoded."""
        if self.fixed is None:
            return screen_json(screen, ev)
        fixed, needs = self.fixed, ev.needs
        return {
            "questions": [
                orjson.Fragment(fixed[q.id] + orjson.dumps(needs.get(q.id, [])) + b"}")
                for q in screen.questions
            ],
            "group": group_json(screen.group) if screen.group else None,
            "progress": progress_json(screen.progress),
        }


def answer_words(q: Question, value: Any) -> str:
    """An answer as a person reads it: "Not sure", "Lower back", "2 weeks"."""
    if value is None:
        return "Not answered"
    if q.type == "yesno":
        return YESNO_LABELS.get(value, str(value))
    if q.type == "choice":
        return label(q, value)
    if q.type == "multi":
        items = list(value)
        return ", ".join(label(q, v) for v in items) if items else "None of these"
    number = f"{value:g}" if isinstance(value, float) else str(value)
    return f"{number} {q.unit}" if q.unit else number


def plain_answers(answers: Mapping[str, Any]) -> dict[str, Any]:
    """Canonical answers as JSON values (a multi answer's tuple as a list)."""
    return {q: list(v) if isinstance(v, tuple) else v for q, v in answers.items()}


def case_document(case_id: str, answers: Mapping[str, Any], record: Mapping[str, Any]) -> dict:
    """A case file of these answers that ``triage batch --check`` reproduces (as ``ask --save``
    writes one)."""
    expect: dict[str, Any] = {"disposition": record["disposition"]}
    if record.get("timeframe"):
        expect["timeframe"] = record["timeframe"]
    expect["fired"] = record["fired"]
    return {"id": case_id, "answers": plain_answers(answers), "expect": expect}
