"""Property-based tests of the whole API from its own OpenAPI document (schemathesis).

For every operation, requests that fit the document and requests that do not: the server never
answers 5xx, and every response matches the document (status, media type, schema).
"""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import negative_data_rejection
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


@schema.parametrize()
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_document(case):
    # Any bytes are a JSON Lines body, and a line that is not a case gets an error record in a
    # 200 answer, as in `triage batch -`: "invalid data is rejected" does not apply there.
    lines = case.media_type == "application/x-ndjson"
    case.call_and_validate(excluded_checks=[negative_data_rejection] if lines else [])
