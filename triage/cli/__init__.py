"""The ``triage`` command line: one group, each command in its own module."""

from __future__ import annotations

import click

from .. import __version__
from .ask import ask
from .audit import audit
from .batch import batch
from .explain import explain
from .export import export
from .rules import rules
from .serve import serve
from .writing import Group


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="triage")
def main() -> None:
    """Back and neck pain triage: red flags first, then what to do, and why."""


main.add_command(ask)
main.add_command(batch)
main.add_command(explain)
main.add_command(rules)
main.add_command(audit)
main.add_command(export)
main.add_command(serve)
