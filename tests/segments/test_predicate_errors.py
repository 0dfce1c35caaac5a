"""Bad predicates are 422s naming the field and the rule."""

from typing import Any

import httpx
import pytest

from tests.segments.support import declare, put, where
from tests.support.problems import assert_problem


@pytest.fixture
def catalog(api: httpx.Client) -> httpx.Client:
    declare(api, "tier", "enum", enum_values=["free", "pro"])
    put(api, "c1", attributes={"name": "Ada", "age": 36, "signup": "2024-05-01T10:00:00Z"})
    return api


BAD: list[tuple[dict[str, Any], str, str]] = [
    (where("nope", "eq", 1), "predicate.attribute", "attribute.unknown"),
    (where("name", "gt", "A"), "predicate.op", "op.type"),
    (where("age", "contains", "3"), "predicate.op", "op.type"),
    (where("tier", "starts_with", "p"), "predicate.op", "op.type"),
    (where("age", "within_last_days", 3), "predicate.op", "op.type"),
    (where("age", "like", 3), "predicate.op", "op.unknown"),
    (where("age", "eq", "old"), "predicate.value", "type.number"),
    (where("tier", "eq", "gold"), "predicate.value", "type.enum"),
    (where("signup", "after", "yesterday"), "predicate.value", "type.datetime"),
    (where("signup", "within_last_days", 0), "predicate.value", "value.range"),
    (where("signup", "within_last_days", True), "predicate.value", "value.type"),
    (where("age", "in", []), "predicate.value", "value.list"),
    (where("age", "in", [1, "x"]), "predicate.value.1", "type.number"),
    (where("age", "eq"), "predicate.value", "value.required"),
    ({"attribute": "age", "op": "eq", "value": None}, "predicate.value", "value.required"),
    (where("age", "in", [1, None]), "predicate.value.1", "type.number"),
    (where("name", "eq", ""), "predicate.value", "value.empty"),
    (where("age", "exists", 3), "predicate.value", "value.unexpected"),
    (where("name", "contains", 3), "predicate.value", "value.type"),
    ({"identifier": "fax", "op": "exists"}, "predicate.identifier", "identifier.unknown"),
    ({"identifier": "email", "op": "eq"}, "predicate.op", "op.identifier"),
    ({"all": where("age", "eq", 1)}, "predicate.all", "predicate.type"),
    ({"all": [], "any": []}, "predicate", "predicate.shape"),
    ({}, "predicate", "predicate.shape"),
    ({"all": [where("age", "eq", 1), 3]}, "predicate.all.1", "predicate.type"),
    (
        {"not": {"any": [where("ghost", "exists")]}},
        "predicate.not.any.0.attribute",
        "attribute.unknown",
    ),
    ({**where("age", "eq", 1), "extra": 1}, "predicate.extra", "predicate.unknown_field"),
]


def test_each_broken_rule_is_named(catalog: httpx.Client) -> None:
    for predicate, field, rule in BAD:
        answer = catalog.post("/v1/segments/preview", json={"predicate": predicate})
        problem = assert_problem(answer, 422, field)
        assert rule in [error["rule"] for error in problem["errors"]], (predicate, problem)


def test_every_error_is_reported_at_once(catalog: httpx.Client) -> None:
    predicate = {"all": [where("ghost", "eq", 1), where("name", "gt", "x")]}
    answer = catalog.post("/v1/segments/preview", json={"predicate": predicate})
    problem = assert_problem(answer, 422, "predicate.all.0.attribute")
    assert "predicate.all.1.op" in [error["field"] for error in problem["errors"]]
    assert "ghost" in problem["errors"][0]["message"]


def test_the_unfitting_operator_message_names_attribute_and_type(catalog: httpx.Client) -> None:
    answer = catalog.post("/v1/segments/preview", json={"predicate": where("name", "gt", "A")})
    message = assert_problem(answer, 422, "predicate.op")["detail"]
    assert "'gt'" in message
    assert "'name'" in message
    assert "string" in message


def test_preview_body_rules(catalog: httpx.Client) -> None:
    answer = catalog.post("/v1/segments/preview", json={"predicate": {"all": []}, "sample": 101})
    assert_problem(answer, 422, "sample")
    assert_problem(catalog.post("/v1/segments/preview", json={"predicate": []}), 422, "predicate")


def test_preview_needs_read_scope(catalog: httpx.Client, workspace: Any) -> None:
    with workspace.client(workspace.key(["catalog:admin"])) as other:
        answer = other.post("/v1/segments/preview", json={"predicate": {"all": []}})
        assert_problem(answer, 403)


def test_a_misspelt_attribute_gets_a_suggestion(catalog: httpx.Client) -> None:
    answer = catalog.post("/v1/segments/preview", json={"predicate": where("tierr", "exists")})
    message = assert_problem(answer, 422, "predicate.attribute")["errors"][0]["message"]
    assert message == "no attribute 'tierr' in the catalog (did you mean \"tier\"?)"
    answer = catalog.post("/v1/segments/preview", json={"predicate": where("zzzz", "exists")})
    message = assert_problem(answer, 422, "predicate.attribute")["errors"][0]["message"]
    assert "did you mean" not in message


def test_a_misspelt_predicate_field_gets_a_suggestion(catalog: httpx.Client) -> None:
    predicate = {"attribute": "age", "op": "eq", "vaule": 1}
    answer = catalog.post("/v1/segments/preview", json={"predicate": predicate})
    problem = assert_problem(answer, 422, "predicate.vaule")
    messages = [error["message"] for error in problem["errors"]]
    assert "unknown field 'vaule' (did you mean \"value\"?)" in messages
