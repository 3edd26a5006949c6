"""Back and neck pain triage: a rule-based expert system (experta) with explained decisions.

The public Python API (docs/api-python.md)::

    from triage import Triage, load_rulebase

Its names load on first use (a module ``__getattr__``), so ``import triage``, which every
``triage`` command does first, stays as cheap as the command line's start-up needs.
"""

from __future__ import annotations

# experta 1.9.4 needs this on Python 3.10+, before any experta import: see _compat.
from . import _compat  # noqa: F401

__version__ = "0.1.0"

#: Each public name and the module that holds it.
_PUBLIC: dict[str, str] = {
    "Triage": "service",
    "InvalidCase": "service",
    "load_rulebase": "knowledge",
    "RuleBase": "knowledge",
    "Outcome": "knowledge",
    "KRule": "knowledge",
    "Evaluation": "engine",
    "Firing": "engine",
    "VerdictInfo": "engine",
    "Screen": "engine",
    "Progress": "engine",
    "Question": "questions",
    "Group": "questions",
    "ResultRecord": "result",
    "Case": "cases",
    "CaseError": "cases",
    "TriageError": "errors",
    "RuleBaseError": "errors",
    "AnswerError": "errors",
}

__all__ = [  # written out (not built from _PUBLIC) so that linters and type checkers read it
    "AnswerError",
    "Case",
    "CaseError",
    "Evaluation",
    "Firing",
    "Group",
    "InvalidCase",
    "KRule",
    "Outcome",
    "Progress",
    "Question",
    "ResultRecord",
    "RuleBase",
    "RuleBaseError",
    "Screen",
    "Triage",
    "TriageError",
    "VerdictInfo",
    "__version__",
    "load_rulebase",
]

# Type checkers and editors see the names; a run imports them when used. (``typing`` itself
# is not imported: it would cost ``import triage`` a few milliseconds.)
TYPE_CHECKING = False
if TYPE_CHECKING:
    from .cases import Case, CaseError
    from .engine import Evaluation, Firing, Progress, Screen, VerdictInfo
    from .errors import AnswerError, RuleBaseError, TriageError
    from .knowledge import KRule, Outcome, RuleBase, load_rulebase
    from .questions import Group, Question
    from .result import ResultRecord
    from .service import InvalidCase, Triage


def __getattr__(name: str) -> object:
    """Import a public name's module on first use (then the name is an ordinary global)."""
    from importlib import import_module

    module = _PUBLIC.get(name)
    if module is None:
        raise AttributeError(f"module 'triage' has no attribute {name!r}")
    value = getattr(import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_PUBLIC})
