"""The fact types the compiled rules reason over."""

from __future__ import annotations

from experta import Fact


class Answers(Fact):
    """The case: one slot per question id, holding its answer or ``None`` when unanswered."""


class Finding(Fact):
    """A derived fact concluded by one rule and read by others (``name``, ``rule``)."""


class Trigger(Fact):
    """A trigger met only by reading ``unsure`` answers as yes; a resolution rule softens it."""


class Verdict(Fact):
    """A disposition concluded by a rule: ``rule``, ``rank``, ``via`` (a softening rule)."""


class Need(Fact):
    """A rule that could still change the outcome needs the answer to question ``q``."""
