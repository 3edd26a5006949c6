"""What people type at the interview, read as they mean it (triage/typed.py)."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from triage.cli.ask import checklist_answers
from triage.typed import InputError, number_read, parse_typed, word_of_choices


@pytest.fixture(scope="module")
def q(triage):
    return triage.rulebase.questions


@pytest.mark.parametrize(
    ("typed", "value"),
    [
        ("y", "yes"),
        ("Yes", "yes"),
        ("yep", "yes"),
        ("yeah!", "yes"),
        ("n", "no"),
        ("nah", "no"),
        ("nope", "no"),
        ("No.", "no"),
        ("u", "unsure"),
        ("not sure", "unsure"),
        ("Not  sure", "unsure"),
        ("don't know", "unsure"),
        ("don\u2019t know", "unsure"),
        ("dunno", "unsure"),
        ("maybe", "unsure"),
    ],
)
def test_yes_no_and_not_sure_in_everyday_words(q, typed, value):
    assert parse_typed(q["fever"], typed) == value


@pytest.mark.parametrize(
    ("typed", "value"),
    [("7", 7), ("7/10", 7), ("7 / 10", 7), ("7 out of 10", 7), ("seven", 7), ("ten", 10)],
)
def test_severity_as_people_write_it(q, typed, value):
    assert parse_typed(q["severity"], typed) == value


@pytest.mark.parametrize(
    ("typed", "weeks"),
    [
        ("2", 2),
        ("0.5", 0.5),
        ("0,5", 0.5),
        ("2 weeks", 2),
        ("a week", 1),
        ("3 days", 0.43),
        ("a month", 4.35),
        ("6 months", 26.09),
        ("a year", 52.18),
        ("two weeks", 2),
        ("about 3 weeks", 3),
        ("10 days", 1.43),
    ],
)
def test_durations_with_units_become_weeks(q, typed, weeks):
    assert parse_typed(q["duration_weeks"], typed) == pytest.approx(weeks, abs=0.01)


def test_a_month_counts_as_four_weeks_or_more(q):
    # the policy's thresholds are in weeks: "a month" must reach "4 weeks or more"
    assert parse_typed(q["duration_weeks"], "a month") >= 4
    assert parse_typed(q["duration_weeks"], "6 weeks") >= 6


@pytest.mark.parametrize(
    ("typed", "value"),
    [("3", "lower_back"), ("lower back", "lower_back"), ("Lower", "lower_back"), ("neck", "neck")],
)
def test_a_choice_by_number_label_or_unique_beginning(q, typed, value):
    assert parse_typed(q["location"], typed) == value


def test_a_near_miss_gets_a_suggestion_in_the_words_on_screen(q):
    with pytest.raises(InputError, match="did you mean Lower back"):
        parse_typed(q["location"], "lowr back")


def test_back_at_where_is_your_pain_asks_which_back(q):
    assert word_of_choices(q["location"], "back")
    with pytest.raises(InputError, match=r"Upper back .* or Lower back"):
        parse_typed(q["location"], "back")


def test_an_unknown_choice_lists_the_labels_not_the_ids(q):
    with pytest.raises(InputError) as err:
        parse_typed(q["location"], "knee")
    assert "Upper back (between the shoulder blades)" in str(err.value)
    assert "upper_back" not in str(err.value)


@pytest.mark.parametrize(
    ("typed", "values"),
    [
        ("none", ()),
        ("nothing", ()),
        ("2", ("tightness",)),
        ("1 3", ("stiffness", "ache")),
        ("1, 3", ("stiffness", "ache")),
        ("radiating tingling", ("radiating", "tingling")),
        ("stiffness and aching", ("stiffness", "ache")),
        ("tight or knotted muscles", ("tightness",)),
        ("pain spreading into an arm or leg, numbness", ("radiating", "numbness")),
    ],
)
def test_several_sensations(q, typed, values):
    assert parse_typed(q["sensations"], typed) == values


@pytest.mark.parametrize(
    ("question", "typed", "message"),
    [
        ("severity", "11", "out of range; please give a whole number from 0 to 10"),
        ("severity", "lots", "please give a whole number from 0 to 10"),
        ("age", "-3", "please give a whole number from 0 to 120 years"),
        ("duration_weeks", "3 parsecs", "please give a number from 0 to 520 weeks"),
        ("fever", "perhaps not", "please answer yes, no or not sure"),
        ("sensations", "itchy", "not one of the choices"),
    ],
)
def test_errors_say_once_what_is_allowed(q, question, typed, message):
    with pytest.raises(InputError, match=message) as err:
        parse_typed(q[question], typed)
    assert str(err.value).count("please") == 1


# What people typed and were refused (issue 22): each form, read as they meant it.


@pytest.mark.parametrize(
    ("question", "typed", "value"),
    [
        ("age", "forty five", 45),
        ("age", "Forty-five", 45),
        ("age", "forty five years old", 45),
        ("age", "one hundred and five", 105),
        ("age", "a hundred and twenty", 120),
        ("age", "about sixty", 60),
        ("severity", "6-7", 7),
        ("severity", "6 - 7", 7),
        ("severity", "6\u20137", 7),
        ("severity", "6 to 7", 7),
        ("severity", "six or seven", 7),
        ("severity", "between 6 and 7", 7),
        ("severity", "6-7/10", 7),
        ("severity", "7-6", 7),
        ("severity", "zero", 0),
        ("duration_weeks", "2-3 weeks", 3),
        ("duration_weeks", "3 days to 2 weeks", 2),
        ("duration_weeks", "two and a half weeks", 2.5),
        ("duration_weeks", "a week and a half", 1.5),
        ("duration_weeks", "more than 6 weeks", 6),
        ("duration_weeks", "3days", 0.43),
    ],
)
def test_numbers_in_words_and_ranges(q, question, typed, value):
    assert parse_typed(q[question], typed) == pytest.approx(value, abs=0.01)


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("one hundred and twenty one", "121 is out of range"),
        ("hundred", "please give"),
        ("forty forty", "please give"),
        ("five four", "please give"),
        ("one hundred and", "please give"),
        ("zero zero", "please give"),
        ("7 days", "please give"),
        ("9" * 40, "please give"),
    ],
)
def test_what_is_not_a_number_still_says_what_is(q, typed, message):
    with pytest.raises(InputError, match=message):
        parse_typed(q["age"], typed)


def test_a_range_says_it_took_the_higher(q):
    assert number_read(q["severity"], "6-7") == (7, "the higher of 6 and 7")
    assert number_read(q["severity"], "7") == (7, "")


@pytest.mark.parametrize(
    ("typed", "value"),
    [
        ("the first one", "neck"),
        ("first", "neck"),
        ("2nd", "upper_back"),
        ("number 3", "lower_back"),
        ("#3", "lower_back"),
        ("three", "lower_back"),
        ("lower back pain", "lower_back"),
        ("my neck", "neck"),
        ("between my shoulder blades", "upper_back"),
    ],
)
def test_a_choice_by_ordinal_number_word_or_phrase(q, typed, value):
    assert parse_typed(q["location"], typed) == value


def test_both_asks_for_the_worst_one_and_the_reply_picks_from_those_named(q):
    with pytest.raises(InputError, match=r"choose just one\. If it is in more than one place"):
        parse_typed(q["location"], "both")
    with pytest.raises(InputError, match=r"just one.*: 1 Neck or 3 Lower back$") as asked:
        parse_typed(q["location"], "neck and lower back")
    assert parse_typed(q["location"], "the second one", after=asked.value) == "lower_back"
    assert parse_typed(q["location"], "2", after=asked.value) == "upper_back"  # the list's own
    with pytest.raises(InputError, match="just one"):
        parse_typed(q["location"], "both", after=asked.value)


def test_yes_to_did_you_mean_takes_the_suggestion(q):
    with pytest.raises(InputError, match="did you mean Lower back") as asked:
        parse_typed(q["location"], "lowr back")
    assert parse_typed(q["location"], "yes", after=asked.value) == "lower_back"
    assert parse_typed(q["location"], "yeah", after=asked.value) == "lower_back"
    with pytest.raises(InputError):  # a yes that answers nothing is not a choice
        parse_typed(q["location"], "yes")


def test_yes_to_did_you_mean_keeps_the_rest_of_a_list(q):
    with pytest.raises(InputError, match="did you mean Aching") as asked:
        parse_typed(q["sensations"], "achng, tingling")
    assert parse_typed(q["sensations"], "y", after=asked.value) == ("ache", "tingling")


def test_both_after_do_you_mean_takes_both_of_a_list(q):
    with pytest.raises(InputError, match="do you mean Pain spreading") as asked:
        parse_typed(q["sensations"], "leg")
    assert parse_typed(q["sensations"], "both", after=asked.value) == ("radiating", "weakness")


@pytest.mark.parametrize(
    ("typed", "values"),
    [
        ("aching, pain down my leg, tingling", ("ache", "radiating", "tingling")),
        ("burning pain", ("burning",)),
        ("numb and tingly", ("tingling", "numbness")),
        ("stiff, aching", ("stiffness", "ache")),
        ("0", ()),
        ("nonee", ()),
        ("noen", ()),
        ("none of those", ()),
        ("all of them", "every one"),
        ("one", ("stiffness",)),  # a number word, never a typo of none
        ("nine", ("weakness",)),
    ],
)
def test_sensations_in_free_phrases(q, typed, values):
    got = parse_typed(q["sensations"], typed)
    if typed == "all of them":
        assert got == q["sensations"].values
    else:
        assert got == values


@pytest.mark.parametrize(
    ("typed", "answers"),
    [
        ("0", "nnnnnnn"),
        ("nonee", "nnnnnnn"),
        ("none of those", "nnnnnnn"),
        ("not sure about 1", "unnnnnn"),
        ("the first one", "ynnnnnn"),
        ("the first one and the third", "ynynnnn"),
        ("two and not sure about 3", "nyunnnn"),
        ("yes to 2, not sure about 3 and 4", "nyuunnn"),
        ("1 and 2?", "yunnnnn"),
        ("not sure about 1, yes to 7", "unnnnny"),
        ("all of them", "yyyyyyy"),
    ],
)
def test_checklist_answers_as_people_type_them(triage, typed, answers):
    qs = tuple(
        triage.rulebase.questions[m] for m in triage.rulebase.groups["emergency_signs"].members
    )[:7]  # seven yes/no questions, whatever the catalogue's group holds
    letter = {"yes": "y", "no": "n", "unsure": "u"}
    got = checklist_answers(qs, typed)
    assert "".join(letter[got[q.id]] for q in qs) == answers


@pytest.mark.parametrize(("typed", "message"), [("both", "which ones"), ("8", "there is no 8")])
def test_checklist_answers_that_need_asking_again(triage, typed, message):
    qs = tuple(
        triage.rulebase.questions[m] for m in triage.rulebase.groups["emergency_signs"].members
    )[:7]  # seven yes/no questions, whatever the catalogue's group holds
    with pytest.raises(InputError, match=message):
        checklist_answers(qs, typed)


# Number words, spelled here independently of the reader, for every whole number a question
# accepts: each spelling reads back as its number.

_ONES = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"]
_ONES += ["eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen"]
_ONES += ["eighteen", "nineteen"]
_TENS_WORDS = ["twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]


def say(n: int, hyphen: bool = False, use_and: bool = True, a: bool = False) -> str:
    """``n`` in English words, in one of the ways people write it."""
    if n < 20:
        return _ONES[n]
    if n < 100:
        tens, ones = divmod(n, 10)
        return _TENS_WORDS[tens - 2] + (("-" if hyphen else " ") + _ONES[ones] if ones else "")
    for size, name in ((1000, "thousand"), (100, "hundred")):
        if n >= size:
            high, rest = divmod(n, size)
            head = "a" if a and high == 1 else say(high, hyphen, use_and, a)
            tail = ""
            if rest:
                tail = (" and " if use_and and rest < 100 else " ") + say(rest, hyphen, use_and)
            return f"{head} {name}{tail}"
    raise AssertionError(n)


def whole_number_questions(triage):
    return [
        qq
        for qq in triage.rulebase.questions.values()
        if qq.type in ("integer", "number") and qq.min is not None and qq.max is not None
    ]


def test_every_whole_number_of_every_question_reads_back_from_words(triage):
    qs = whole_number_questions(triage)
    assert {qq.id for qq in qs} >= {"age", "severity", "duration_weeks"}
    for qq in qs:
        for n in range(int(qq.min), int(qq.max) + 1):
            assert parse_typed(qq, say(n)) == n, (qq.id, say(n))


@given(data=st.data(), hyphen=st.booleans(), use_and=st.booleans(), a=st.booleans())
def test_number_words_round_trip_in_any_spelling(triage, data, hyphen, use_and, a):
    qq = data.draw(st.sampled_from(whole_number_questions(triage)))
    n = data.draw(st.integers(int(qq.min), int(qq.max)))
    words = say(n, hyphen, use_and, a)
    assert parse_typed(qq, words) == n
    assert parse_typed(qq, f"about {words.upper()}") == n
    if qq.unit:
        assert parse_typed(qq, f"{words} {qq.unit}") == n


@given(st.text(max_size=80))
def test_any_text_is_an_answer_or_one_clear_error(triage, text):
    for qq in triage.rulebase.questions.values():
        try:
            parse_typed(qq, text)
        except InputError as exc:
            assert str(exc) and "\n" not in str(exc)


def test_long_input_is_read_quickly_or_refused(triage):
    for qq in triage.rulebase.questions.values():
        for text in ("1 " * 100_000, "a" * 1_000_000, "-" * 100_000, "one hundred and " * 10_000):
            with contextlib.suppress(InputError):
                parse_typed(qq, text)
