"""Property-based tests of the whole server from its own OpenAPI document (schemathesis).

For every operation of the API, FHIR and CDS Hooks, requests that fit the document and requests
that do not: the server never answers 5xx, refuses every request the document refuses, and
every response matches the document (status, media type, schema). The pages (HTML forms for
people) are in the document but left to their own tests.
"""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import negative_data_rejection, positive_data_acceptance
from web_support import client

from triage.service import Triage

app = client(Triage.load()).app
schema = schemathesis.openapi.from_asgi("/openapi.json", app)
schema.config.generation.update(modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE])


@schemathesis.serializer("application/x-ndjson")
def _ndjson(ctx, value):
    """A generated JSON Lines body goes as it is (a string), or as one line of JSON."""
    if isinstance(value, str):
        return value.encode("utf-8", "surrogatepass")
    import json

    return (json.dumps(value) + "\n").encode()


@schema.exclude(tag="pages").parametrize()
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_document(case):
    # Any bytes are a JSON Lines body, and a line that is not a case gets an error record in a
    # 200 answer, as in `triage batch -`: "invalid data is rejected" does not apply there.
    lines = case.media_type == "application/x-ndjson"
    # FHIR resources and CDS Hooks requests are described by their shape only (which answers
    # a response may hold is the questionnaire's business), so a request that fits the
    # document need not be accepted there; a case (Answers: exact) must be.
    loose = (
        lines
        or case.media_type == "application/fhir+json"
        or case.path.startswith(("/fhir/", "/cds-services"))
        or (isinstance(case.body, dict) and "resourceType" in case.body)
    )
    excluded = [negative_data_rejection] if lines else []
    case.call_and_validate(
        excluded_checks=[*excluded, *([positive_data_acceptance] if loose else [])]
    )
