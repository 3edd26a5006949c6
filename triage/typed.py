"""What people type, turned into canonical answers: "nope", "7/10", "3 days", "lowr back".

Nothing here knows a question by its id: everything follows from the question's type, values,
labels and unit in the catalogue. Errors use the words shown on screen (labels, not ids) and
say once what is allowed.
"""

from __future__ import annotations

import difflib
import re
from typing import Any

from .errors import AnswerError
from .questions import Question

YES = frozenset({"y", "yes", "yep", "yeah", "yup", "ya", "aye", "true", "i do", "i have"})
NO = frozenset({"n", "no", "nope", "nah", "not really", "never", "false", "i don't", "i do not"})
UNSURE = frozenset(
    {
        "u",
        "unsure",
        "not sure",
        "i'm not sure",
        "im not sure",
        "don't know",
        "dont know",
        "do not know",
        "i don't know",
        "i dont know",
        "dunno",
        "dk",
        "idk",
        "maybe",
        "perhaps",
        "no idea",
        "can't say",
    }
)
NONE = frozenset(
    {"none", "nothing", "none of these", "none of them", "no", "n", "nope", "nah", "-"}
)
_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")
NUMBER_WORDS = {w: i for i, w in enumerate(_WORDS)} | {"a": 1, "an": 1}
#: Units a duration may be typed in, as fractions of a week.
UNITS = {
    "day": 1 / 7,
    "week": 1.0,
    "month": 365.25 / 12 / 7,
    "year": 365.25 / 7,
}
_UNIT_ALIASES = {
    "d": "day",
    "days": "day",
    "w": "week",
    "wk": "week",
    "wks": "week",
    "weeks": "week",
    "mo": "month",
    "mos": "month",
    "months": "month",
    "y": "year",
    "yr": "year",
    "yrs": "year",
    "years": "year",
}
_HEDGES = re.compile(
    r"^(?:about|around|roughly|nearly|almost|over|more than|just over|approx\.?)\s+"
)


class InputError(ValueError):
    """What a person typed does not fit the question; the message says what would."""


def normal(text: str) -> str:
    """Lower case, one space between words, curly quotes straightened, end punctuation off."""
    text = text.replace("\u2019", "'").replace("\u2018", "'").strip().lower()
    return re.sub(r"\s+", " ", text).rstrip(".!")


def yes_no(text: str) -> str | None:
    """``yes``, ``no`` or ``unsure`` for the many ways of saying them, else None."""
    low = normal(text)
    if low in YES:
        return "yes"
    if low in NO:
        return "no"
    if low in UNSURE:
        return "unsure"
    return None


def parse_typed(question: Question, text: str) -> Any:
    """Turn what a person typed into a canonical answer, or raise InputError saying why not."""
    if not text.strip():
        raise InputError("please type an answer")
    try:
        if question.type == "yesno":
            value = yes_no(text)
            if value is None:
                raise InputError("please answer yes, no or not sure (y, n or u)")
            return value
        if question.type in ("integer", "number"):
            return question.parse(number(question, text))
        if question.type == "choice":
            return question.parse(choose_one(question, text))
        return question.parse(choose_many(question, text))
    except AnswerError as exc:
        raise InputError(_plain(question, exc.message)) from None


def _plain(question: Question, message: str) -> str:
    """An answer error in the words a person sees."""
    if question.type in ("integer", "number"):
        return f"{message.split(':')[0]}; please give {allowed(question)}"
    return message


def allowed(question: Question) -> str:
    """What a question accepts, in words shown on screen."""
    if question.type == "yesno":
        return "yes, no or not sure"
    if question.type in ("integer", "number"):
        whole = "a whole number" if question.type == "integer" else "a number"
        unit = f" {question.unit}" if question.unit else ""
        return f"{whole} from {_num(question.min)} to {_num(question.max)}{unit}"
    names = [label(question, v) for v in question.values]
    return ", ".join(f"{i} {n}" for i, n in enumerate(names, 1))


def label(question: Question, value: str) -> str:
    """The words shown for a choice value."""
    return question.labels.get(value) or value.replace("_", " ").capitalize()


def _num(x: float | None) -> str:
    return "?" if x is None else f"{x:g}"


def number(question: Question, text: str) -> int | float:
    """A number as typed: "7", "7/10", "7 out of 10", "seven", "3 days", "a month"."""
    low = _HEDGES.sub("", normal(text))
    scale = re.fullmatch(r"([\w.,]+)\s*(?:/|out of|of)\s*10", low)
    if scale:
        low = scale.group(1)
    # \s+, not \s*: with the unit's letters allowed inside the number's \w, "\s*" made a
    # failed match try every split of a long word (quadratic); the matches are the same.
    m = re.fullmatch(r"([\w.,]+)(?:\s+([a-z]+))?", low)
    if m is None:
        raise InputError(f"please give {allowed(question)}")
    value = _amount(m.group(1))
    unit = m.group(2)
    if value is None or (m.group(1) in ("a", "an") and not unit):
        raise InputError(f"please give {allowed(question)}")
    if unit and unit != "and":
        unit = _UNIT_ALIASES.get(unit, unit)
        if question.unit == "weeks" and unit in UNITS:
            weeks = value * UNITS[unit]
            return round(weeks, 2) if weeks % 1 else int(weeks)
        if unit not in (question.unit, question.unit.rstrip("s")):
            raise InputError(f"please give {allowed(question)}")
    return value


def _amount(word: str) -> int | float | None:
    if word in NUMBER_WORDS:
        return NUMBER_WORDS[word]
    try:
        value = float(word.replace(",", "."))
    except ValueError:
        return None
    return int(value) if value.is_integer() else value


def _names(question: Question) -> dict[str, tuple[str, ...]]:
    """Each value with the words that name it: the id, with spaces, and its label."""
    return {
        v: tuple(
            dict.fromkeys((v.lower(), v.replace("_", " ").lower(), label(question, v).lower()))
        )
        for v in question.values
    }


def choose_one(question: Question, text: str) -> str:
    """One choice, by its number, its name or label, or a unique beginning of one."""
    picked = _pick(question, normal(text))
    if picked is None:
        raise _no_match(question, text)
    return picked


def choose_many(question: Question, text: str) -> tuple[str, ...]:
    """Several choices (or none): numbers, names or labels, separated by commas or spaces."""
    low = normal(text)
    if low in NONE:
        return ()
    whole = _pick(question, low)
    if whole is not None:
        return (whole,)
    out: list[str] = []
    for part in re.split(r"\s*(?:,|;|\band\b|&)\s*", low):
        if not part:
            continue
        one = _pick(question, part)
        if one is not None:
            out.append(one)
            continue
        for word in part.split():  # "1 3 5", "radiating tingling"
            one = _pick(question, word)
            if one is None:
                raise _no_match(question, word)
            out.append(one)
    return tuple(v for v in question.values if v in out)


def _pick(question: Question, low: str) -> str | None:
    if low.isdigit() and 1 <= int(low) <= len(question.values):
        return question.values[int(low) - 1]
    names = _names(question)
    for test in (
        lambda k: k == low,
        lambda k: k.startswith(low),
    ):
        match = [v for v, keys in names.items() if any(test(k) for k in keys)]
        if len(match) == 1:
            return match[0]
        if len(match) > 1:
            raise Ambiguous(question, match)
    if len(low) >= 3:
        inside = [v for v, keys in names.items() if any(low in k.split() for k in keys)]
        if len(inside) == 1:
            return inside[0]
        if len(inside) > 1:
            raise Ambiguous(question, inside)
    return None


class Ambiguous(InputError):
    """What was typed fits several choices; the message names them."""

    def __init__(self, question: Question, values: list[str]):
        self.values = values
        names = [label(question, v) for v in values]
        which = ", ".join(names[:-1]) + f" or {names[-1]}"
        super().__init__(f"do you mean {which}? Please type its number")


def _no_match(question: Question, text: str) -> InputError:
    words = [k for keys in _names(question).values() for k in keys]
    close = difflib.get_close_matches(normal(text), words, n=1, cutoff=0.7)
    if close:
        value = next(v for v, keys in _names(question).items() if close[0] in keys)
        return InputError(
            f"did you mean {label(question, value)}? Please type it again, or its number"
        )
    return InputError(
        f"{text.strip()!r} is not one of the choices; please choose {allowed(question)}"
    )


def word_of_choices(question: Question, word: str) -> bool:
    """Whether ``word`` names part of some choice ("back" at "Where is your pain?")."""
    low = normal(word)
    return question.type in ("choice", "multi") and any(
        low in k.split() for keys in _names(question).values() for k in keys
    )
