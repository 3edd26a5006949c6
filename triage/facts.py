"""The fact types the compiled rules reason over."""

from __future__ import annotations

from experta import Fact

from . import _compat  # noqa: F401  (must precede experta)


class Answer(Fact):
    """An informative answer: ``q`` the question id, ``v`` its value (``no`` is left out)."""


class Unknown(Fact):
    """A question with no answer yet."""


class Finding(Fact):
    """A derived fact concluded by one rule and read by others (``name``, ``rule``)."""


class Trigger(Fact):
    """A trigger met only by reading ``unsure`` answers as yes; a resolution rule softens it."""


class Verdict(Fact):
    """A disposition concluded by a rule: ``rule``, ``rank``, ``via`` (a softening rule)."""


class Need(Fact):
    """A rule that could still change the outcome needs the answer to question ``q``."""
