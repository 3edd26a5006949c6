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
    {"none", "nothing", "none of these", "none of them", "none of those", "no", "n", "nope"}
    | {"nah", "-", "no to all", "neither", "zero", "none apply", "not any"}
)
_SMALL = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
]
_TENS = ["twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
#: Number words and their values: zero to nineteen, and the tens.
NUMBER_WORDS = {w: i for i, w in enumerate(_SMALL)} | {w: 20 + 10 * i for i, w in enumerate(_TENS)}
_SCALES = {"hundred": 100, "thousand": 1000}
_ORDINALS = {
    w: i
    for i, w in enumerate(
        [
            "first",
            "second",
            "third",
            "fourth",
            "fifth",
            "sixth",
            "seventh",
            "eighth",
            "ninth",
            "tenth",
            "eleventh",
            "twelfth",
        ],
        1,
    )
}
#: Words meaning all of what was offered ("both" of two).
ALL = frozenset({"both", "all", "all of them", "all of these", "both of them", "all of those"})
#: What a longer answer is cut to before it is read (every reader here is linear anyway).
MAX_TYPED = 500
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


class InputError(ValueError):
    """What a person typed does not fit the question; the message says what would.

    ``offered`` is what the message offered, when it asked "did you mean ...?": the answer
    a plain "yes" confirms (``answer``), or the choices it named (``values``), which "both",
    "all" or "the first one" then pick from. See ``parse_typed(..., after=...)``.
    """

    def __init__(self, message: str, *, answer: Any = None, values: tuple[str, ...] = ()):
        super().__init__(message)
        self.answer = answer
        self.values = values


def normal(text: str) -> str:
    """Lower case, one space between words, curly quotes straightened, end punctuation off."""
    text = text[:MAX_TYPED].replace("\u2019", "'").replace("\u2018", "'").strip().lower()
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


def parse_typed(question: Question, text: str, *, after: InputError | None = None) -> Any:
    """Turn what a person typed into a canonical answer, or raise InputError saying why not.

    ``after``: the error the previous reply got, when it asked "did you mean ...?"; then "yes"
    confirms its suggestion, and "both", "all" or "the second one" pick from the choices it
    named.
    """
    if not text.strip():
        raise InputError("please type an answer")
    try:
        if after is not None:
            replied = _reply_to(question, after, normal(text))
            if replied is not None:
                return question.parse(replied)
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


def _reply_to(question: Question, asked: InputError, low: str) -> Any:
    """The answer a reply to "did you mean ...?" gives, or None to read it afresh."""
    if asked.answer is not None and yes_no(low) == "yes":
        return asked.answer
    if not asked.values:
        return None
    which = ordinal(low)
    if which is not None and 1 <= which <= len(asked.values):
        pick = asked.values[which - 1]
        return (pick,) if question.type == "multi" else pick
    if low in ALL:
        if question.type == "multi":
            return tuple(asked.values)
        raise _just_one(question, asked.values)
    return None


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


# Numbers, words and signs, each found once left to right: linear, no nested quantifiers.
_TOKENS = re.compile(r"\d+(?:[.,]\d+)?|[a-z]+|[-\u2013/]")
_RANGE = frozenset({"-", "\u2013", "to", "or"})
_FILLER = frozenset(
    {"about", "around", "roughly", "nearly", "almost", "over", "approx", "just", "more", "than"}
)


def number(question: Question, text: str) -> int | float:
    """A number as typed: "7", "7/10", "7 out of 10", "seven", "forty five", "one hundred and
    five", "3 days", "a month", "two and a half weeks"; of a range ("6-7", "6 to 7",
    "between 2 and 3 weeks") the higher, the cautious reading."""
    return number_read(question, text)[0]


def number_read(question: Question, text: str) -> tuple[int | float, str]:
    """The number typed, and how it was read when that is worth saying ("the higher of 6 and
    7"; else "")."""
    low = normal(text)
    for scale in ("/10", "/ 10", "out of 10", "of 10"):  # "7/10", "6-7 out of 10"
        if low.endswith(scale) and low[: -len(scale)].strip():
            low = low[: -len(scale)]
            break
    tokens = [t for t in _TOKENS.findall(low) if t not in _FILLER]
    if len(tokens) > 1 and tokens[-1] == "old" and question.unit == "years":
        tokens.pop()  # "forty five years old"
    negative = len(tokens) > 1 and tokens[0] == "-" and tokens[1][0].isdecimal()
    if negative:
        tokens.pop(0)
    between = bool(tokens) and tokens[0] == "between"
    if between:
        tokens.pop(0)
    parts: list[list[str]] = [[]]
    for i, t in enumerate(tokens):
        if t == "-" and 0 < i < len(tokens) - 1 and tokens[i - 1] in _TENS:
            continue  # "twenty-one"
        if t in _RANGE or (between and t == "and" and len(parts) == 1 and parts[0]):
            parts.append([])
        else:
            parts[-1].append(t)
    unit = _unit_of(question, parts[-1])
    values = []
    for part in parts:
        own = _unit_of(question, part) if part is not parts[-1] else unit
        value = _amount(part)
        if value is None:
            raise InputError(f"please give {allowed(question)}")
        values.append(_in_unit(question, value, own or unit))
    value = -values[0] if negative else max(values)
    shown = [_num(v) for v in values]
    how = f"the higher of {', '.join(shown[:-1])} and {shown[-1]}" if len(values) > 1 else ""
    return value, how


def _unit_of(question: Question, part: list[str]) -> str | None:
    """The unit that ends ``part`` ("days"), taken off it; None when there is none."""
    at = (
        len(part) - 4 if part[-3:] == ["and", "a", "half"] else len(part) - 1
    )  # "a week and a half"
    if at < 1 or not part[at].isalpha():
        return None
    word = _UNIT_ALIASES.get(part[at], part[at])
    if word in UNITS or (question.unit and word in (question.unit, question.unit.rstrip("s"))):
        del part[at]
        return word
    return None


def _in_unit(question: Question, value: float, unit: str | None) -> int | float:
    """``value`` in the question's unit: days, months and years become weeks."""
    if unit is None:
        return value
    if question.unit and unit in (question.unit, question.unit.rstrip("s")):
        return value
    if question.unit == "weeks" and unit in UNITS:
        weeks = value * UNITS[unit]
        return round(weeks, 2) if weeks % 1 else int(weeks)
    raise InputError(f"please give {allowed(question)}")


def _amount(part: list[str]) -> int | float | None:
    """A number from its tokens: "12", "0.5", "forty five", "a", "two and a half"."""
    if not part:
        return None
    half = 0.0
    if part[-3:] == ["and", "a", "half"]:  # "two and a half", "a week and a half"
        half, part = 0.5, part[:-3]
    elif part[:3] in (["half", "a"], ["half", "an"]) and len(part) == 2:  # "half a" (week)
        return 0.5
    if len(part) == 1 and part[0][0].isdecimal():
        if len(part[0]) > 12:
            return None
        value = float(part[0].replace(",", "."))
        value += half
        return int(value) if value.is_integer() else value
    if part in (["a"], ["an"]):
        whole: int | None = 1
    else:
        whole = spelled(part)
    if whole is None:
        return None
    return whole + half if half else whole


def spelled(words: list[str]) -> int | None:
    """The whole number some words spell ("forty five", "one hundred and five", "a
    thousand"), or None: read left to right, once, by a small state machine."""
    total = 0  # the thousands done
    group = 0  # the hundreds of the group being read
    tens: int | None = None  # the part under a hundred being read
    wanted = False  # a number must follow ("and")
    for i, w in enumerate(words):
        if w in ("a", "an"):
            if i + 1 >= len(words) or words[i + 1] not in _SCALES or tens is not None:
                return None
            tens = 1
        elif w in NUMBER_WORDS:
            n = NUMBER_WORDS[w]
            if tens is None:
                tens = n
            elif tens >= 20 and tens % 10 == 0 and 1 <= n <= 9:
                tens += n  # "forty five"
            else:
                return None
            if n == 0 and (len(words) > 1):
                return None  # "zero" only alone
            wanted = False
        elif w == "hundred":
            if tens is None or tens == 0 or group:
                return None
            group, tens = tens * 100, None
        elif w == "thousand":
            value = group + (tens or 0)
            if value == 0 or total:
                return None
            total, group, tens = value * 1000, 0, None
        elif w == "and":
            if tens is not None or not (group or total) or wanted:
                return None
            wanted = True
        else:
            return None
    if wanted or (tens is None and not group and not total):
        return None
    return total + group + (tens or 0)


def ordinal(low: str) -> int | None:
    """Which one of a list is meant: "the first one", "2nd", "number 3", "option two"."""
    words = low.replace("#", "number ").split()
    if words[:1] == ["the"]:
        words = words[1:]
    if len(words) >= 2 and words[-1] == "one" and words[-2] not in ("number", "option"):
        words = words[:-1]  # "the first one"
    if len(words) == 2 and words[0] in ("number", "option", "no", "item"):
        words = words[1:]
        if words[0].isdecimal():
            return int(words[0][:6])
        return NUMBER_WORDS.get(words[0])
    if len(words) != 1:
        return None
    word = words[0]
    if word in _ORDINALS:
        return _ORDINALS[word]
    if word[-2:] in ("st", "nd", "rd", "th") and word[:-2].isdecimal():
        return int(word[:-2][:6])
    return None


def _names(question: Question) -> dict[str, tuple[str, ...]]:
    """Each value with the words that name it: the id, with spaces, and its label."""
    return {
        v: tuple(
            dict.fromkeys((v.lower(), v.replace("_", " ").lower(), label(question, v).lower()))
        )
        for v in question.values
    }


def choose_one(question: Question, text: str) -> str:
    """One choice, by its number, its name or label, or a unique beginning of one; by the
    words it shares with one label ("my lower back"); "both" or two names ask which."""
    low = normal(text)
    if low in ALL:
        raise _just_one(question, question.values)
    picked = _pick(question, low)
    if picked is not None:
        return picked
    many = _several(question, low)
    if len(many) > 1:
        raise _just_one(question, many)
    if len(many) == 1:
        return many[0]
    raise _no_match(question, text)


def _just_one(question: Question, values: tuple[str, ...]) -> InputError:
    """ "Both": one is needed; the question's help says which (where it is worst)."""
    named = [f"{question.values.index(v) + 1} {label(question, v)}" for v in values]
    which = ", ".join(named[:-1]) + f" or {named[-1]}"
    hint = f" {question.help.rstrip('.')}:" if question.help else ""
    return InputError(f"please choose just one.{hint} {which}", values=values)


def _several(question: Question, low: str) -> tuple[str, ...]:
    """The choices named in a list ("neck and lower back"); () when something is not one."""
    try:
        return choose_many(question, low)
    except InputError:
        return ()


def choose_many(question: Question, text: str) -> tuple[str, ...]:
    """Several choices (or none): numbers, names or labels, separated by commas or spaces, or
    phrases that share words with one label ("pain down my leg")."""
    low = normal(text)
    if is_none(low):
        return ()
    if low in ALL:
        return tuple(question.values)
    whole = _pick(question, low)
    if whole is not None:
        return (whole,)
    out: list[str] = []
    suggested: InputError | None = None
    for part in re.split(r"\s*(?:,|;|\band\b|&)\s*", low):
        if not part:
            continue
        try:
            out += _part(question, part)
        except InputError as exc:
            if exc.answer is None or suggested is not None:
                raise
            suggested = exc  # a near miss: say it, with the rest as read
            out += list(exc.answer)
    chosen = tuple(v for v in question.values if v in out)
    if suggested is not None:
        raise InputError(str(suggested), answer=chosen)
    return chosen


def _part(question: Question, part: str) -> list[str]:
    """The choices one comma-separated part names: itself, its words, or its words' overlap."""
    one = _pick(question, part)
    if one is not None:
        return [one]
    words = part.split()
    picked = [_unique(question, w) for w in words]
    if all(p is not None and _whole_name(question, w) for w, p in zip(words, picked, strict=True)):
        return [p for p in picked if p is not None]  # "1 3 5", "radiating tingling"
    shared = _overlap(question, words)
    if shared is not None:
        return [shared]
    if len(words) == 1:
        raise _no_match(question, part)
    bad = next(w for w, p in zip(words, picked, strict=True) if p is None)
    raise _no_match(question, bad if len(words) > 1 else part)


_STOP = frozenset(
    [
        "the",
        "and",
        "feels",
        "feel",
        "like",
        "into",
        "with",
        "some",
        "very",
        "have",
        "has",
        "its",
        "it's",
        "bit",
        "lot",
        "kind",
        "sort",
        "down",
        "from",
        "pretty",
        "quite",
    ]
)


def _whole_name(question: Question, word: str) -> bool:
    """Whether ``word`` is a number or a whole name ("radiating"), not the start of one."""
    return (
        word.isdecimal()
        or word in NUMBER_WORDS
        or any(word in ks for ks in _names(question).values())
    )


def _unique(question: Question, word: str) -> str | None:
    """The choice one word of a phrase names, if it names just one."""
    try:
        return _pick(question, word)
    except InputError:
        return None


def _overlap(question: Question, words: list[str]) -> str | None:
    """The one choice whose label shares the most with ``words`` ("pain down my leg": "Pain
    spreading into an arm or leg"), a shared word counting less the more labels have it; None
    when none is clearly best."""
    keys = {v: _key_words(label(question, v)) for v in question.values}
    score = dict.fromkeys(question.values, 0.0)
    for word in {w for w in words if len(w) >= 3 and w not in _STOP}:
        having = [v for v, ks in keys.items() if any(_same_word(word, k) for k in ks)]
        for v in having:
            score[v] += 1 / len(having)
    best = max(score.values())
    top = [v for v, s in score.items() if s == best]
    return top[0] if best > 0 and len(top) == 1 else None


def _key_words(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z]+", text.lower()) if len(w) >= 3 and w not in _STOP}


def _same_word(a: str, b: str) -> bool:
    """The same word, or the same stem ("tingly", "tingling"; "numb", "numbness")."""
    if a == b:
        return True
    stem = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        stem += 1
    return stem >= 4 and stem >= min(len(a), len(b)) - 3


def is_none(low: str) -> bool:
    """Whether a normalised answer says none of them: "none", "nothing", "0", "nonee"."""
    return low in NONE or low == "0" or _none_typo(low)


def _none_typo(low: str) -> bool:
    """ "nonee", "nnone", "noen": one letter off "none", and still plainly it (never a number
    word such as "nine" or "one")."""
    if low in NUMBER_WORDS or not 4 <= len(low) <= 5 or not low.isalpha():
        return False
    return _one_edit(low, "none") and (low.startswith("non") or sorted(low) == sorted("none"))


def _one_edit(a: str, b: str) -> bool:
    """Whether ``a`` is ``b`` with one letter added, dropped or changed, or two swapped."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    i = 0
    while i < min(len(a), len(b)) and a[i] == b[i]:
        i += 1
    if len(a) > len(b):
        return a[i + 1 :] == b[i:]
    if len(a) < len(b):
        return a[i:] == b[i + 1 :]
    swapped = a[i : i + 2] == b[i : i + 2][::-1] and a[i + 2 :] == b[i + 2 :]
    return a[i + 1 :] == b[i + 1 :] or swapped


def _pick(question: Question, low: str) -> str | None:
    which = ordinal(low) if not low.isdecimal() else int(low[:6])
    if which is None and low in NUMBER_WORDS:
        which = NUMBER_WORDS[low]
    if which is not None and 1 <= which <= len(question.values):
        return question.values[which - 1]
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
        names = [label(question, v) for v in values]
        which = ", ".join(names[:-1]) + f" or {names[-1]}"
        super().__init__(f"do you mean {which}? Please type its number", values=tuple(values))


def _no_match(question: Question, text: str) -> InputError:
    words = [k for keys in _names(question).values() for k in keys]
    close = difflib.get_close_matches(normal(text), words, n=1, cutoff=0.7)
    if close:
        value = next(v for v, keys in _names(question).items() if close[0] in keys)
        return InputError(
            f"did you mean {label(question, value)}? Type yes, or its number",
            answer=(value,) if question.type == "multi" else value,
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
