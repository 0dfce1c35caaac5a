"""Found by schemathesis: a PATCH setting a required segment field to null is a 422."""

import httpx
import pytest

from tests.support.problems import assert_problem


@pytest.mark.parametrize("field", ["name", "predicate"])
def test_null_for_a_required_field_is_refused_by_name(api: httpx.Client, field: str) -> None:
    assert_problem(api.patch("/v1/segments/nothing", json={field: None}), 422, field)
