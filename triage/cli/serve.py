"""``triage serve``: the interview as web pages and the JSON API, on uvicorn.

The web stack is imported only when the command runs, so that other commands (and
``triage --version``) start without it.
"""

from __future__ import annotations

import sys

import click

from ..audit import AuditLog
from .audit import audit_log_option
from .common import (
    UsageFailure,
    check_region,
    fhir_base_option,
    load_triage,
    region_option,
    rules_option,
)


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=8000,
    show_default=True,
    help="Port to listen on (0: any free port; the address is printed).",
)
@click.option(
    "-w",
    "--workers",
    type=click.IntRange(1, 64),
    default=1,
    show_default=True,
    help="Worker processes (the service is stateless: each serves any request).",
)
@rules_option
@region_option
@fhir_base_option
@audit_log_option
@click.option(
    "--access-log/--no-access-log",
    default=True,
    show_default=True,
    help="Log each request's method, path and status (never a query string or a body).",
)
@click.option(
    "--header-timeout",
    type=click.FloatRange(0.1, 3600),
    default=10.0,
    show_default=True,
    help="Seconds a request's line and headers may take to arrive (then 408 and closed).",
)
@click.option(
    "--body-timeout",
    type=click.FloatRange(0.1, 3600),
    default=10.0,
    show_default=True,
    help="Seconds in which each 1 KiB of a request's body must arrive (then 408 and closed).",
)
@click.option(
    "--max-connections",
    type=click.IntRange(1, 1_000_000),
    default=None,
    help="Open connections at most; then the one waiting longest for a request is closed "
    "[default: the descriptor limit (ulimit -n) less 32, at most 4096].",
)
@click.option(
    "--shutdown-timeout",
    type=click.FloatRange(0, 3600),
    default=20.0,
    show_default=True,
    help="Seconds to finish the requests in flight after Ctrl-C or SIGTERM.",
)
@click.option(
    "--cors-origin",
    "cors_origins",
    multiple=True,
    envvar="TRIAGE_CORS_ORIGINS",
    metavar="ORIGIN",
    help=(
        "Another site whose pages may call the API, FHIR and CDS Hooks from a browser, as "
        "scheme://host[:port]; repeat it, or list them comma-separated in "
        "TRIAGE_CORS_ORIGINS. Default: none."
    ),
)
def serve(
    host: str,
    port: int,
    workers: int,
    rules_dir: str | None,
    region: str | None,
    audit_log: str | None,
    access_log: bool,
    cors_origins: tuple[str, ...],
    header_timeout: float,
    body_timeout: float,
    max_connections: int | None,
    shutdown_timeout: float,
) -> None:
    """Serve the interview as web pages and the HTTP JSON API (OpenAPI at /openapi.json).

    Stateless: the answers travel with each request, and the server keeps no session and sets
    no cookie. Prints the address, then serves until Ctrl-C or SIGTERM, which stop it once
    the requests in flight are answered.

    Exit status: 130 stopped by Ctrl-C (SIGINT); 143 stopped by SIGTERM; 2 bad usage, a broken
    rule base, an unwritable audit log or an address that cannot be listened on.
    """
    triage = load_triage(rules_dir)  # a broken rule base stops here, before any worker
    region = check_region(triage, region)
    if audit_log:
        try:
            AuditLog(audit_log).open().close()
        except OSError as exc:
            raise UsageFailure(f"cannot write audit log {audit_log}: {exc.strerror}") from None
    from ..web.app import create_app
    from ..web.cors import parse_origins
    from ..web.server import address, bind, run
    from ..web.settings import Settings
    from ..web.transport import Limits

    try:
        origins = parse_origins(",".join(cors_origins))
    except ValueError as exc:
        raise UsageFailure(f"--cors-origin: {exc}") from None
    settings = Settings(rules_dir, region, audit_log, access_log, origins)
    try:
        sock = bind(host, port)
    except OSError as exc:
        raise UsageFailure(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    app = create_app(settings, triage) if workers == 1 else None
    rb = triage.rulebase
    plural = "s" if workers != 1 else ""
    click.echo(
        f"triage serve: {address(sock)} (rule base {rb.name} {rb.version}, "
        f"{workers} worker{plural}); Ctrl-C stops it"
    )
    with sock:
        limits = Limits(
            header_timeout=header_timeout,
            body_timeout=body_timeout,
            max_connections=max_connections,
            shutdown_timeout=shutdown_timeout,
        )
        signum = run(settings, sock, workers, app, limits)
    if signum:
        sys.exit(128 + signum)
