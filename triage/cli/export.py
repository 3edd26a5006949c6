"""``triage export``: the rule base as FHIR resources, for a clinic's record system."""

from __future__ import annotations

from typing import IO

import click

from .common import fhir_base_option, load_triage, rules_option

output_option = click.option(
    "-o",
    "--output",
    type=click.File("w", encoding="utf-8", lazy=False),
    default="-",
    help="Write the resource here (default: stdout).",
)


@click.group()
def export() -> None:
    """Write the question catalogue and its codes as FHIR R4 resources (JSON)."""


@export.command("questionnaire")
@output_option
@rules_option
@fhir_base_option
def export_questionnaire(output: IO[str], rules_dir: str | None) -> None:
    """The question catalogue as an SDC adaptive Questionnaire (docs/fhir.md)."""
    rb = load_triage(rules_dir).rulebase
    from ..fhir.questionnaire import questionnaire  # the FHIR library loads only here

    output.write(questionnaire(rb).model_dump_json(indent=2) + "\n")


@export.command("codesystem")
@click.argument("kind", type=click.Choice(["answers", "dispositions", "rules"]), default="answers")
@output_option
@rules_option
@fhir_base_option
def export_codesystem(kind: str, output: IO[str], rules_dir: str | None) -> None:
    """A CodeSystem: the answers (default), the dispositions or the rules.

    The answers' codes are those of the questionnaire's answer options, "not sure" among
    them; the others are the codes of the results (`batch --format fhir`, CDS cards)."""
    rb = load_triage(rules_dir).rulebase
    from ..fhir.codes import code_system

    output.write(code_system(rb, kind).model_dump_json(indent=2) + "\n")
