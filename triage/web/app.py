"""The ASGI application of ``triage serve``: pages, API, static files, errors and headers."""

from __future__ import annotations

import gc
import re
from collections.abc import Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp

from ..fhir.replies import MAX_JSON_BYTES, Refused, fhir_refusal
from ..formats import json_bytes
from ..questions import Question
from ..service import Triage
from .api import Api, json_response
from .bodies import JSON_LINES_TYPES, JSON_TYPES, HttpError, read_body, require_media_type
from .cors import Cors, refuse_cross_site
from .fhir import PREFIXES as FHIR_PREFIXES
from .fhir import fhir_routes
from .headers import SecurityHeaders
from .hotpath import HotRoutes
from .openapi import openapi_document
from .pages import Pages, environment
from .records import Records
from .settings import Settings

STATIC = Path(__file__).resolve().parent / "static"
API_PREFIXES = ("/v1/", "/healthz", "/openapi.json", *FHIR_PREFIXES)
FHIR_PREFIX = "/fhir/"  # its errors are OperationOutcomes
API_VERSION = re.compile(r"^/v[0-9]+(/|$)")  # /v2/evaluate: the API's family, even unknown
#: The media types each state-changing route reads (415 for any other, or none), by path,
#: with the advice its 415 gives; then by path prefix, for the FHIR and CDS Hooks families.
MEDIA_TYPES: dict[str, tuple[tuple[str, ...], str]] = {
    "/v1/evaluate": (
        (*JSON_TYPES, *JSON_LINES_TYPES),
        "application/json (a case, a QuestionnaireResponse or a Bundle) or application/x-ndjson",
    ),
    "/v1/interview": (("application/json",), "application/json"),
}
FAMILY_MEDIA_TYPES: dict[str, tuple[tuple[str, ...], str]] = {
    "/fhir/": (("application/fhir+json", "application/json"), "application/fhir+json"),
    "/cds-services": (("application/json",), "application/json"),
}
Handler = Callable[[Request], Awaitable[Response]]
HOT = ("/v1/evaluate", "/v1/interview")  # called without the router (``hotpath``), POST only


def create_app(settings: Settings | None = None, triage: Triage | None = None) -> ASGIApp:
    """The application for these settings (the rule base is loaded here, once)."""
    settings = settings or Settings()
    triage = triage or Triage.load(settings.rules_dir)
    warm_up(triage)
    records = Records(triage, settings.region, settings.audit_log)
    api = Api(triage, records)
    pages = Pages(triage, records, environment())

    async def openapi_json(request: Request) -> Response:
        return Response(openapi, media_type="application/json")

    def is_api(request: Request) -> bool:
        path = request.url.path
        return path.startswith(API_PREFIXES) or API_VERSION.match(path) is not None

    async def http_error(request: Request, exc: Exception) -> Response:
        # One error shape per family: OperationOutcome for FHIR, {"error": ...} for the API
        # and CDS Hooks, an error page for the pages.
        assert isinstance(exc, Refused)
        if request.url.path.startswith(FHIR_PREFIX):
            reply = fhir_refusal(exc)
            response = Response(reply.body, reply.status, media_type=reply.media_type)
        elif is_api(request):
            response = json_response(exc.body(), exc.status)
        else:
            page_error = exc if isinstance(exc, HttpError) else HttpError(exc.status, exc.message)
            response = pages.error_page(page_error, request)
        response.headers.update(exc.headers)
        return response

    async def starlette_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        words = {404: "not found", 405: "method not allowed"}
        message = words.get(exc.status_code, str(exc.detail).lower())
        if exc.status_code == 405 and is_api(request):
            allowed = exc.headers.get("Allow", "") if exc.headers else ""
            message += f" (allowed: {allowed})" if allowed else ""
        return await http_error(request, HttpError(exc.status_code, message, headers=exc.headers))

    async def internal_error(request: Request, exc: Exception) -> Response:
        # A bug: say so without a trace (uvicorn logs it on the server's stderr).
        return await http_error(request, HttpError(500, "internal error"))

    @asynccontextmanager
    async def lifespan(app: Starlette) -> Any:
        # The rule base, engine and templates live as long as the process: out of the
        # collector's way, a full collection no longer walks them (shorter pauses).
        gc.freeze()
        yield
        records.close()

    async def cds_feedback(request: Request) -> Response:
        from ..fhir.cds import cds_feedback as handle

        body = await read_body(request, MAX_JSON_BYTES)
        reply = await run_in_threadpool(handle, request.path_params["id"], body, triage)
        return Response(reply.body, reply.status, media_type=reply.media_type)

    routes = [
        Route("/", pages.start, methods=["GET"]),
        Route("/interview", pages.interview, methods=["POST"]),
        Route("/interview", pages.restart, methods=["GET"]),
        Route("/interview/{step}", pages.screen_page, methods=["GET"]),
        Route("/result", pages.result, methods=["GET", "POST"]),
        Route("/summary", pages.summary, methods=["GET", "POST"]),
        Route("/review", pages.review, methods=["GET", "POST"]),
        Route("/country", pages.country, methods=["GET", "POST"]),
        Route("/answers", pages.download, methods=["POST"]),
        Route("/answers.fhir.json", pages.download_fhir, methods=["POST"]),
        Route("/v1/interview", api.interview, methods=["POST"]),
        Route("/v1/evaluate", api.evaluate, methods=["POST"]),
        Route("/v1/questions", api.questions, methods=["GET"]),
        Route("/v1/rulebase", api.rulebase, methods=["GET"]),
        Route("/healthz", api.healthz, methods=["GET"]),
        Route("/openapi.json", openapi_json, methods=["GET"]),
        *fhir_routes(triage, settings.region, records),
        Route("/cds-services/{id}/feedback", cds_feedback, methods=["POST"]),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]
    fhir_ops = [
        (method, r.path)
        for r in routes
        if isinstance(r, Route) and r.path.startswith(FHIR_PREFIX) and r.include_in_schema
        for method in sorted((r.methods or set()) - {"HEAD"})
    ]
    openapi = json_bytes(openapi_document(triage.rulebase, fhir_ops))
    checked_routes = [guarded(r, settings.cors_origins) for r in routes]
    app = Starlette(
        routes=checked_routes,
        exception_handlers={
            Refused: http_error,
            HTTPException: starlette_error,
            Exception: internal_error,
        },
        lifespan=lifespan,
    )
    # No 307 to "path/" or back: its Location would be built from the Host header, which
    # any client sets (and a POST client would send the answers there). A 404 instead.
    app.router.redirect_slashes = False
    hot = HotRoutes(
        app,
        {r.path: r.endpoint for r in checked_routes if isinstance(r, Route) and r.path in HOT},
        http_error,
        starlette_error,
        internal_error,
    )
    # Outside Starlette's own error handling, so that even a 500 has the headers.
    return SecurityHeaders(Cors(hot, settings.cors_origins), access_log=settings.access_log)


def guarded(route: Any, origins: tuple[str, ...]) -> Any:
    """A state-changing route behind the checks every one needs before it runs: the request
    is not a browser's cross-site request from an origin not allowed, and its body has one of
    the media types the route reads."""
    if not isinstance(route, Route) or not (route.methods or set()) & {"POST"}:
        return route
    path = route.path
    media = MEDIA_TYPES.get(path) or next(
        (v for k, v in FAMILY_MEDIA_TYPES.items() if path.startswith(k)), None
    )
    if not route.include_in_schema:  # the catch-all of unknown FHIR paths: a 404 or 405 first
        media = None
    endpoint: Handler = route.endpoint  # type: ignore[assignment]

    async def checked(request: Request) -> Response:
        refuse_cross_site(request, origins)
        if media is not None and request.method == "POST":
            require_media_type(request, *media)
        return await endpoint(request)

    methods = sorted(route.methods - {"HEAD"}) if route.methods else None
    return Route(
        path, checked, methods=methods, name=route.name, include_in_schema=route.include_in_schema
    )


def warm_up(triage: Triage) -> None:
    """Build the engine's networks now rather than on the first requests (tens of ms each):
    one for interviews (answers missing), one for complete cases."""
    triage.evaluate({})
    triage.evaluate({q.id: _some_answer(q) for q in triage.rulebase.questions.values()})


def _some_answer(q: Question) -> Any:
    if q.type in ("integer", "number"):
        return q.min
    return () if q.type == "multi" else q.choices[0]


def app_from_env() -> ASGIApp:
    """The application for a worker process, from the settings its parent put in the
    environment (``Settings.to_env``)."""
    return create_app(Settings.from_env())
