"""What people type at the interview, read as they mean it (triage/typed.py)."""

from __future__ import annotations

import pytest

from triage.typed import InputError, parse_typed, word_of_choices


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
