"""NUL (U+0000) is refused in every string a request gives, with a 4xx naming the field.

PostgreSQL stores no NUL in text or jsonb (it answered 500 before), and SQLite stored
what the catalog page then showed raw: both backends refuse the same way.
"""

from typing import Any

import httpx
import pytest

from tests.support.problems import assert_problem

NUL = "\x00"
DESCRIBED = {"name": "a", "type": "string", "description": f"d{NUL}"}


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/v1/attributes/a%00b", "path"),
        ("/v1/customers/email:a%00b@example.com", "path"),
        ("/v1/templates/t%00", "path"),
        ("/v1/customers?email=a%00b", "query.email"),
    ],
)
def test_a_nul_in_the_address_is_400_naming_it(api: httpx.Client, path: str, field: str) -> None:
    problem = assert_problem(api.get(path), 400)
    assert problem["errors"][0] == {
        "field": field,
        "rule": "string.nul",
        "message": "text cannot hold the NUL character (U+0000)",
    }


@pytest.mark.parametrize(
    ("method", "path", "body", "field"),
    [
        (
            "POST",
            "/v1/attributes",
            {"name": "a", "type": "string", "description": NUL},
            "description",
        ),
        ("POST", "/v1/templates", {"name": f"t{NUL}", "body": "hi"}, "name"),
        ("POST", "/v1/templates", {"name": "t", "body": f"hi{NUL}"}, "body"),
        ("POST", "/v1/topics", {"name": f"news{NUL}"}, "name"),
        ("POST", "/v1/object-types", {"name": f"Companies{NUL}"}, "name"),
        ("POST", "/v1/keys", {"label": f"ci{NUL}", "scopes": ["attributes:read"]}, "label"),
        ("PUT", "/v1/customers/c1", {"email": f"a{NUL}@example.com"}, "email"),
    ],
)
def test_a_nul_in_a_body_is_422_naming_the_field(
    api: httpx.Client, method: str, path: str, body: dict[str, Any], field: str
) -> None:
    problem = assert_problem(api.request(method, path, json=body), 422)
    assert [(error["field"], error["rule"]) for error in problem["errors"]] == [
        (field, "string.nul")
    ]


@pytest.mark.parametrize("op", ["eq", "contains"])
def test_a_nul_in_a_segment_value_is_422(api: httpx.Client, op: str) -> None:
    api.post("/v1/attributes", json={"name": "plan", "type": "string"}).raise_for_status()
    predicate = {"attribute": "plan", "op": op, "value": f"pro{NUL}"}
    problem = assert_problem(api.post("/v1/segments/preview", json={"predicate": predicate}), 422)
    assert problem["errors"][0]["field"] == "predicate.value"
    assert problem["errors"][0]["rule"] == "value.encoding"
