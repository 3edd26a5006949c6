"""The FHIR and CDS Hooks endpoints (triage/fhir/endpoints.py) mounted as Starlette routes.

The handlers know nothing of HTTP: each takes the body and the path parameters and gives a
reply. They run in a thread, since building FHIR resources is CPU work, and the FHIR library
is imported only when the first such request comes.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ..fhir.endpoints import Endpoint, endpoints
from ..service import Triage
from .bodies import read_body
from .records import Records

PREFIXES = ("/fhir/", "/cds-services")


def fhir_routes(triage: Triage, region: str | None, records: Records) -> list[Route]:
    """One route per FHIR or CDS Hooks endpoint; decisions they make go to the audit log."""
    return [_route(e) for e in endpoints(triage, region, records.audit)]


def _route(e: Endpoint) -> Route:
    async def handle(request: Request) -> Response:
        body = await read_body(request, e.max_body) if e.method == "POST" else b""
        reply = await run_in_threadpool(e.handle, body, **request.path_params)
        return Response(reply.body, reply.status, media_type=reply.media_type)

    return Route(e.path, handle, methods=[e.method])
