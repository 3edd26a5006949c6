"""What an unfinished set of answers still lacks: the policy's "unanswered questions" section.

A missing answer is read as "not present" (case-format), so a result can be less urgent than
the answers to come would make it. Front ends that show a result to a person or a clinician
use these to say the triage is not complete, and what to ask next, rather than show self-care
advice while a question that could make it more urgent is open.
"""

from __future__ import annotations

from .engine import Evaluation


def urgent_unanswered(ev: Evaluation) -> list[str]:
    """Unanswered questions that could still lead to a more urgent outcome than the result's,
    in asking order."""
    rank = ev.outcome.rank
    return [q for q in ev.unanswered if ev.need_rank.get(q, -1) > rank]


def next_question_ids(ev: Evaluation) -> list[str]:
    """The ids of the next screen's questions (the interview's order), empty when final."""
    return [q.id for q in ev.next_questions]
