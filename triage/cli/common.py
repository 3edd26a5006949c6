"""Options and helpers shared by the commands."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from ..errors import TriageError
from ..printable import printable

if TYPE_CHECKING:  # the service loads the engine (experta): imported when a command loads it
    from ..service import Triage

rules_option = click.option(
    "--rules",
    "rules_dir",
    envvar="TRIAGE_RULES",
    type=click.Path(file_okay=False),
    default=None,
    help="Rule base directory (default: the bundled rule base; env TRIAGE_RULES).",
)


region_option = click.option(
    "--region",
    envvar="TRIAGE_REGION",
    default=None,
    metavar="REGION",
    help="Where the person is: the emergency number and local services in the advice "
    "(uk, us, intl; default: the rule base's default; env TRIAGE_REGION).",
)


def _fhir_base(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """Check the canonical base and put it in the environment, where the FHIR code (and a
    server's worker processes) read it."""
    if value is None:
        return None
    import os

    from ..fhir.canonical import BASE_ENV, BaseError, check_base

    try:
        checked = check_base(value)
    except BaseError as exc:
        raise click.BadParameter(str(exc)) from None
    os.environ[BASE_ENV] = checked
    return checked


fhir_base_option = click.option(
    "--fhir-base",
    envvar="TRIAGE_FHIR_BASE",
    default=None,
    metavar="URL",
    callback=_fhir_base,
    expose_value=False,
    is_eager=True,
    help="The canonical base of the FHIR resources: where this server's /fhir is published "
    "(default https://triage.example.org/fhir; env TRIAGE_FHIR_BASE).",
)


class UsageFailure(click.ClickException):
    """A failure with exit status 2: bad usage or a broken rule base. The message is one line,
    its control characters escaped (it names files and values from anywhere)."""

    exit_code = 2

    def __init__(self, message: str):
        super().__init__(printable(message))


def load_triage(rules_dir: str | None) -> Triage:
    """Load the rule base; a broken one is a one-line error with exit status 2."""
    from ..service import Triage

    try:
        return Triage.load(rules_dir)
    except TriageError as exc:
        raise UsageFailure(str(exc)) from None


def check_region(triage: Triage, region: str | None) -> str | None:
    """``region`` if the rule base defines it; else a one-line error naming those it has."""
    regions = triage.rulebase.plans.regions
    if region is not None and region not in regions:
        raise UsageFailure(f"unknown region {region!r}; one of: {', '.join(regions)}")
    return region
