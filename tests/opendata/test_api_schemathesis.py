"""The JSON API against its own OpenAPI document (schemathesis): on the demo's data, every
operation is called with generated queries, valid and invalid; no answer is a server error,
every answer matches what the document says of it (status, content type, headers, schema),
and every query the document calls invalid is refused.

A query valid by the document is accepted unless a parameter's validity depends on the data
or on another parameter, which OpenAPI cannot say: a cursor must be one the API gave, a range
must not end before it begins, and the statistics' department and item must exist."""

import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance

from market.demo.build import load_demo

#: examples per operation and mode
EXAMPLES = 25
#: the parameters a valid query may still be refused for (see above)
DEPENDENT = {"cursor", "published_to", "publicity_to", "filters"}


def _check(operation, mode):
    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    def run(case):
        response = case.call()
        case.validate_response(response, excluded_checks=[positive_data_acceptance])
        if mode is GenerationMode.POSITIVE and response.status_code == 422:
            refused = set(response.json()["errors"]["query"])
            assert refused <= DEPENDENT, (case.path, case.query, response.json())

    run()


def test_every_operation_answers_as_documented(app, db):
    load_demo()
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 12
    nothing_invalid = set()
    for operation in operations:
        _check(operation, GenerationMode.POSITIVE)
        try:
            _check(operation, GenerationMode.NEGATIVE)
        except Unsatisfiable:
            nothing_invalid.add(operation.label)
    # every parameter of the others has a type, a range, a length, a pattern or a list
    assert nothing_invalid == {"GET /api/v1/", "GET /api/v1/catalogue/items/{code}"}
