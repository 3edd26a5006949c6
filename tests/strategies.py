"""Hypothesis strategies for answers to the question catalogue, shared by the property tests,
and the profiles they run under.

The environment variable ``TRIAGE_HYPOTHESIS_PROFILE`` chooses the profile (conftest loads
this module, so it holds for every test): ``triage``, the default and what CI runs; ``dev``,
a tenth of the examples, for a quick loop; ``thorough``, ten times as many. A test with its
own ``@settings(max_examples=...)`` keeps its own number.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from triage.questions import Question

#: The environment variable that names the profile.
PROFILE_VARIABLE = "TRIAGE_HYPOTHESIS_PROFILE"

settings.register_profile(
    "triage", max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("dev", settings.get_profile("triage"), max_examples=30)
settings.register_profile("thorough", settings.get_profile("triage"), max_examples=3000)
settings.load_profile(os.environ.get(PROFILE_VARIABLE) or "triage")


def answer(q: Question) -> st.SearchStrategy:
    """Any valid canonical answer to ``q``."""
    if q.type == "yesno":
        return st.sampled_from(["yes", "no", "unsure"])
    if q.type == "integer":
        return st.integers(int(q.min), int(q.max))
    if q.type == "number":
        return st.floats(q.min, q.max, allow_nan=False).map(lambda x: round(x, 1))
    if q.type == "choice":
        return st.sampled_from(q.values)
    return st.sets(st.sampled_from(q.values)).map(lambda s: tuple(v for v in q.values if v in s))


def some_answers(questions: list[Question]) -> st.SearchStrategy:
    """Answers to any subset of the questions."""
    return st.fixed_dictionaries({}, optional={q.id: answer(q) for q in questions})


def full_answers(questions: list[Question], calm: float = 0.0) -> st.SearchStrategy:
    """Answers to every question; with ``calm``, yes/no questions are mostly "no", so that
    cases reach the later outcomes (physical therapist, self-care) and not only red flags."""

    def one(q: Question) -> st.SearchStrategy:
        if q.type == "yesno" and calm:
            return st.sampled_from(["no"] * int(calm * 10) + ["yes", "unsure"])
        return answer(q)

    return st.fixed_dictionaries({q.id: one(q) for q in questions})


@st.composite
def focused_answers(draw: st.DrawFn, questions: list[Question]) -> dict:
    """A calm case (every yes/no "no") with a few yes/no answers changed to yes or unsure,
    numbers near the policy's boundaries, and some answers left out: so that each trigger,
    and the boundaries between outcomes, come up often, not only the red flags."""
    out: dict = {}
    yesno = [q for q in questions if q.type == "yesno"]
    for q in questions:
        if q.type == "yesno":
            out[q.id] = "no"
        elif q.id == "age":
            out[q.id] = draw(
                st.sampled_from(
                    [5, 6, 11, 12, 15, 16, 30, 34, 35, 44, 45, 49, 50, 51, 55, 56, 64, 65]
                )
                | answer(q)
            )
        elif q.id == "duration_weeks":
            out[q.id] = draw(
                st.sampled_from([0, 1, 1.99, 2, 3.9, 4, 5.99, 6, 13, 13.01, 52]) | answer(q)
            )
        elif q.type == "multi":  # a few values, as people choose
            chosen = draw(st.sets(st.sampled_from(q.values), max_size=4))
            out[q.id] = tuple(v for v in q.values if v in chosen)
        else:
            out[q.id] = draw(answer(q))
    for q in draw(st.lists(st.sampled_from(yesno), max_size=3, unique_by=lambda q: q.id)):
        out[q.id] = draw(st.sampled_from(["yes", "unsure"]))
    for qid in draw(st.sets(st.sampled_from([q.id for q in questions]), max_size=4)):
        del out[qid]
    return out
