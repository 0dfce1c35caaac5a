"""Schemathesis against `/openapi.json`: every documented operation, generated inputs.

No answer is a 5xx, and every answer matches the schema (status documented,
content type and body as declared). The operations are read from the live
schema, so routes added later are fuzzed too. The number of examples per
operation is bounded to keep CI fast; raise `ATTRIUM_FUZZ_EXAMPLES` for a longer
local run.
"""

import os

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.support.workspaces import TestWorkspace

EXAMPLES = int(os.environ.get("ATTRIUM_FUZZ_EXAMPLES", "10"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


def test_every_operation_answers_within_its_schema(workspace: TestWorkspace) -> None:
    base_url = workspace.backend.base_url
    schema = schemathesis.openapi.from_url(f"{base_url}/openapi.json")
    headers = {"Authorization": f"Bearer {workspace.token}"}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 10
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def answers_within_schema(case: schemathesis.Case) -> None:
            case.call_and_validate(base_url=base_url, headers=headers, checks=CHECKS)

        answers_within_schema()
