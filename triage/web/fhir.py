"""The FHIR and CDS Hooks endpoints (triage/fhir/endpoints.py) mounted as Starlette routes.

The handlers know nothing of HTTP: each takes the body and the path parameters and gives a
reply. They run in a thread, since building FHIR resources is CPU work, and the FHIR library
is imported only when the first such request comes.

Under ``/fhir/`` this module also speaks FHIR's HTTP rules: only JSON is served, so a client
that accepts only XML (``Accept: application/fhir+xml``, ``_format=xml``) gets 406 and a body
sent as anything but JSON gets 415; a ``fhirVersion`` media type parameter other than 4.0 gets
the same; and every error, an unknown path or method among them, is an OperationOutcome.
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route, compile_path

from ..fhir.endpoints import Endpoint, endpoints
from ..fhir.replies import Refused, Reply, fhir_refusal
from ..service import Triage
from .bodies import HttpError, read_body
from .records import Records

PREFIXES = ("/fhir/", "/cds-services")
FHIR = "/fhir/"
#: The FHIR versions (the ``fhirVersion`` media type parameter) this server speaks.
FHIR_VERSIONS = ("4.0", "4.0.1")
JSON_TYPES = ("application/fhir+json", "application/json", "application/json+fhir")
FORMATS = ("json", "application/json", "application/fhir+json", "application/json+fhir")
METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


def fhir_routes(triage: Triage, region: str | None, records: Records) -> list[Route]:
    """One route per FHIR or CDS Hooks endpoint; decisions they make go to the audit log.
    Last, a route that answers any other ``/fhir/`` path or method with an OperationOutcome."""
    mounted = endpoints(triage, region, records.audit)
    allowed = _allowed_methods(mounted)
    return [*(_route(e, allowed) for e in mounted), _fallback(allowed)]


def _allowed_methods(mounted: list[Endpoint]) -> Callable[[str], list[str]]:
    """The methods each ``/fhir/`` path is served with, for ``Allow``. A path that an endpoint
    names as it is (the operation ``Questionnaire/$next-question``) is that endpoint's alone,
    though a pattern (``Questionnaire/{id}``) matches it too: ``$`` is never in a FHIR id."""
    fhir = [e for e in mounted if e.path.startswith(FHIR)]
    literal: dict[str, set[str]] = {}
    for e in fhir:
        if "{" not in e.path:
            literal.setdefault(e.path, set()).add(e.method)
    patterns = [(compile_path(e.path)[0], e.method) for e in fhir]

    def allowed(path: str) -> list[str]:
        if path in literal:
            return sorted(literal[path])
        return sorted({m for regex, m in patterns if regex.match(path)})

    return allowed


def _route(e: Endpoint, allowed: Callable[[str], list[str]]) -> Route:
    fhir = e.path.startswith(FHIR)
    pattern = fhir and "{" in e.path

    async def handle(request: Request) -> Response:
        if pattern and e.method not in allowed(request.scope["path"]):
            return await not_allowed(request, allowed(request.scope["path"]))
        try:
            if fhir:
                negotiate(request, e.method)
            body = await read_body(request, e.max_body) if e.method == "POST" else b""
        except HttpError as exc:
            if not fhir:
                raise
            return await outcome(Refused(exc.status, exc.message, exc.field), exc.headers)
        except Refused as exc:
            return await outcome(exc)
        params = dict(request.path_params)
        if e.query:
            params["query"] = request.query_params.multi_items()
        reply = await run_in_threadpool(e.handle, body, **params)
        return Response(reply.body, reply.status, media_type=reply.media_type)

    return Route(e.path, handle, methods=[e.method])


def _fallback(allowed: Callable[[str], list[str]]) -> Route:
    """Any other ``/fhir/`` request: 405 (with ``Allow``) on a known path, else 404."""

    async def handle(request: Request) -> Response:
        path = request.scope["path"]  # as the routes match it (a URL drops a final newline)
        methods = allowed(path)
        if methods:
            return await not_allowed(request, methods)
        return await outcome(Refused(404, f"not found: no FHIR endpoint at {path!r}"))

    # Not an operation of the API (it answers only 404 or 405), so not in the OpenAPI document.
    return Route("/fhir/{rest:path}", handle, methods=METHODS, include_in_schema=False)


async def not_allowed(request: Request, methods: list[str]) -> Response:
    """405 with ``Allow``: the path is known, the method is not served there."""
    words = f"method {request.method} not allowed (allowed: {', '.join(methods)})"
    return await outcome(Refused(405, words), {"Allow": ", ".join(methods)})


def negotiate(request: Request, method: str) -> None:
    """Refuse (``Refused``) a request for a format or FHIR version this server does not give,
    and a body in one it does not read."""
    wanted = request.query_params.get("_format")
    if wanted is not None and wanted.split(";")[0].strip().lower() not in FORMATS:
        raise Refused(406, f"_format {wanted!r} is not served: only JSON (FHIR 4.0)")
    accept = request.headers.get("accept")
    if accept and not _accepts_json(accept):
        raise Refused(406, f"cannot answer with {accept!r}: only application/fhir+json (FHIR 4.0)")
    if method == "POST":
        sent = request.headers.get("content-type")
        if sent:
            kind, params = _media_type(sent)
            if kind not in JSON_TYPES:
                raise Refused(
                    415, f"cannot read a body of type {kind!r}: send application/fhir+json"
                )
            version = params.get("fhirversion")
            if version is not None and version not in FHIR_VERSIONS:
                raise Refused(415, f"fhirVersion {version} is not read here: only 4.0")


def _accepts_json(accept: str) -> bool:
    """Whether an Accept header allows JSON of FHIR 4.0."""
    for part in accept.split(","):
        kind, params = _media_type(part)
        try:
            quality = float(params.get("q", "1"))
        except ValueError:
            quality = 1.0
        if quality <= 0:
            continue
        version = params.get("fhirversion")
        if version is not None and version not in FHIR_VERSIONS:
            continue
        if kind in (*JSON_TYPES, "*/*", "application/*"):
            return True
    return False


def _media_type(text: str) -> tuple[str, dict[str, str]]:
    """A media type's type/subtype (lower case) and parameters (names lower case)."""
    kind, *rest = text.split(";")
    params = {}
    for param in rest:
        name, _, value = param.partition("=")
        params[name.strip().lower()] = value.strip().strip('"')
    return kind.strip().lower(), params


async def outcome(exc: Refused, headers: dict[str, str] | None = None) -> Response:
    """A refusal as a FHIR response: an OperationOutcome with the one line (built in a thread:
    the first one imports the FHIR library)."""
    reply: Reply = await run_in_threadpool(fhir_refusal, exc)
    return Response(reply.body, reply.status, media_type=reply.media_type, headers=headers)
