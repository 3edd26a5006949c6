"""The ``triage`` command line: one group, each command in its own module, imported only when
it runs (so that ``triage --version`` and ``triage --help`` start in a few tens of ms)."""

from __future__ import annotations

import click

from .. import __version__
from .lazy import Lazy, LazyGroup

#: Each command: where it is, and the summary ``triage --help`` shows (tests/test_cli_lazy.py
#: keeps each equal to the command's own).
COMMANDS: dict[str, Lazy] = {
    "ask": Lazy(
        "triage.cli.ask:ask",
        "Interview a person about back or neck pain, then say what to do and why.",
    ),
    "audit": Lazy(
        "triage.cli.audit:audit",
        "Summarise the audit log FILE: counts per disposition and per rule, with filters.",
    ),
    "batch": Lazy(
        "triage.cli.batch:batch",
        "Evaluate case files: YAML, JSON, JSON Lines, directories (recursively), '-' for stdin.",
    ),
    "explain": Lazy(
        "triage.cli.explain:explain",
        "Explain the decision for one case of CASE_FILE ('-' for JSON Lines on stdin).",
    ),
    "export": Lazy(
        "triage.cli.export:export",
        "Write the question catalogue and its codes as FHIR R4 resources (JSON).",
    ),
    "rules": Lazy("triage.cli.rules:rules", "Inspect, draw, lint and compare the rule base."),
    "serve": Lazy(
        "triage.cli.serve:serve",
        "Serve the interview as web pages and the HTTP JSON API (OpenAPI at /openapi.json).",
    ),
}


@click.group(cls=LazyGroup, lazy=COMMANDS, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="triage")
def main() -> None:
    """Back and neck pain triage: red flags first, then what to do, and why."""
