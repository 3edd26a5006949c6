"""Back and neck pain triage: a rule-based expert system (experta) with explained decisions."""

from . import _compat  # noqa: F401  (experta 1.9.4 needs it on Python 3.10+; runs before any experta import)

__version__ = "0.1.0"
