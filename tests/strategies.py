"""Hypothesis strategies for answers to the question catalogue, shared by the property tests."""

from __future__ import annotations

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from triage.questions import Question

settings.register_profile(
    "triage", max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile("triage")


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
