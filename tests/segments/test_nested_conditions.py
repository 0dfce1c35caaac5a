"""Conditions on paths inside object attributes and on arrays, on both backends."""

import time
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from tests.segments.support import declare, preview_ids, put, where
from tests.support.problems import assert_problem


@pytest.fixture
def people(api: httpx.Client) -> httpx.Client:
    put(
        api,
        "ada",
        attributes={
            "address": {"city": "Lisbon", "zip": "1000-001", "floor": 3, "geo": {"lat": 38.7}},
            "tags": ["vip", "beta", 7, True],
            "name": "Ada",
        },
    )
    put(
        api,
        "bob",
        attributes={
            "address": {"city": "Porto", "floor": "3", "lift": True, "tags": ["Lisbon born"]},
            "tags": ["beta"],
        },
    )
    put(api, "cy", attributes={"address": {"city": "Lisbon Oriente", "floor": 10}, "tags": []})
    put(api, "dee", attributes={"name": "Dee"})
    declare(api, "address.city", "string")  # an attribute whose own name holds a dot
    put(api, "eve", attributes={"address.city": "Lisbon"})
    return api


CASES: list[tuple[dict[str, Any], set[str]]] = [
    (where("address.zip", "eq", "1000-001"), {"ada"}),
    (where("address.city", "eq", "Lisbon"), {"eve"}),  # the exact name wins
    (where("address.floor", "eq", 3), {"ada"}),  # never the string "3"
    (where("address.floor", "eq", "3"), {"bob"}),
    (where("address.floor", "eq", 3.0), {"ada"}),
    (where("address.floor", "neq", 3), {"bob", "cy"}),
    (where("address.floor", "in", [3, 10]), {"ada", "cy"}),
    (where("address.floor", "not_in", [3]), {"bob", "cy"}),
    (where("address.floor", "gt", 3), {"cy"}),
    (where("address.floor", "gte", 3), {"ada", "cy"}),
    (where("address.floor", "lt", 5), {"ada"}),
    (where("address.lift", "eq", True), {"bob"}),
    (where("address.lift", "eq", 1), set()),
    (where("address.geo.lat", "gt", 38), {"ada"}),
    (where("address.zip", "exists"), {"ada"}),
    (where("address.zip", "not_exists"), {"bob", "cy", "dee", "eve"}),
    (where("address.geo", "exists"), {"ada"}),
    (where("address.zip", "starts_with", "1000"), {"ada"}),
    (where("address.tags", "contains", "Lisbon born"), {"bob"}),  # an array at a path
    (where("address.tags", "size", 1), {"bob"}),
    (where("tags", "contains", "beta"), {"ada", "bob"}),
    (where("tags", "contains", 7), {"ada"}),
    (where("tags", "contains", "7"), set()),
    (where("tags", "contains", True), {"ada"}),
    (where("tags", "contains", "bet"), set()),  # elements, not text
    (where("tags", "size", 0), {"cy"}),
    (where("tags", "size", {"gte": 1}), {"ada", "bob"}),
    (where("tags", "size", {"lt": 2}), {"bob", "cy"}),
    (where("tags", "exists"), {"ada", "bob", "cy"}),
    (where("address", "exists"), {"ada", "bob", "cy"}),
    ({"not": where("tags", "contains", "vip")}, {"bob", "cy", "dee", "eve"}),
]


@pytest.mark.parametrize(("predicate", "expected"), CASES)
def test_nested_conditions_select_exactly(
    people: httpx.Client, predicate: dict[str, Any], expected: set[str]
) -> None:
    assert preview_ids(people, predicate) == expected


def test_text_contains_on_a_path_matches_strings(api: httpx.Client) -> None:
    put(api, "ada", attributes={"address": {"city": "Lisbon Oriente"}})
    put(api, "bob", attributes={"address": {"city": "Porto"}})
    assert preview_ids(api, where("address.city", "contains", "Orient")) == {"ada"}


def test_defaults_of_object_attributes_take_part(api: httpx.Client) -> None:
    declare(api, "address", "object", default={"city": "Nowhere"})
    put(api, "ada", attributes={"address": {"city": "Lisbon"}})
    put(api, "bob", attributes={})
    assert preview_ids(api, where("address.city", "eq", "Nowhere")) == {"bob"}


BAD: list[tuple[dict[str, Any], str, str]] = [
    (where("name.first", "eq", "A"), "predicate.attribute", "attribute.path"),
    (where("address.", "eq", "A"), "predicate.attribute", "attribute.path"),
    (where('address.a"b', "eq", "A"), "predicate.attribute", "attribute.path"),
    (where("address.a\tb", "eq", "A"), "predicate.attribute", "attribute.path"),
    (where("nothing.city", "eq", "A"), "predicate.attribute", "attribute.unknown"),
    (where("address", "eq", "A"), "predicate.op", "op.type"),
    (where("tags", "eq", "vip"), "predicate.op", "op.type"),
    (where("name", "size", 1), "predicate.op", "op.type"),
    (where("tags", "size", -1), "predicate.value", "value.size"),
    (where("tags", "size", {"big": 1}), "predicate.value", "value.size"),
    (where("tags", "contains", {"a": 1}), "predicate.value", "value.type"),
    (where("address.floor", "gt", "3"), "predicate.value", "value.type"),
    (where("address.city", "in", []), "predicate.value", "value.list"),
    (where("address.city", "eq", ""), "predicate.value", "value.type"),
    (where("address.city", "exists", "x"), "predicate.value", "value.unexpected"),
]


@pytest.mark.parametrize(("predicate", "field", "rule"), BAD)
def test_bad_nested_conditions_are_422(
    api: httpx.Client, predicate: dict[str, Any], field: str, rule: str
) -> None:
    put(api, "ada", attributes={"address": {"city": "Lisbon"}, "tags": ["a"], "name": "Ada"})
    answer = api.post("/v1/segments/preview", json={"predicate": predicate})
    problem = assert_problem(answer, 422, field)
    assert [error["rule"] for error in problem["errors"]] == [rule]


def test_changes_since_judge_the_past_object_whole(api: httpx.Client) -> None:
    put(api, "ada", attributes={"address": {"city": "Lisbon"}})
    put(api, "bob", attributes={"address": {"city": "Porto", "zip": "4000"}})
    created = api.post(
        "/v1/segments", json={"name": "zipped", "predicate": where("address.zip", "exists")}
    )
    segment_id = created.json()["id"]
    time.sleep(0.01)
    since = datetime.now(UTC).isoformat()
    time.sleep(0.01)
    api.patch("/v1/customers/ada/attributes", json={"address": {"city": "Porto", "zip": "1"}})
    api.patch("/v1/customers/bob/attributes", json={"address": {"city": "Porto"}})
    answer = api.get(f"/v1/segments/{segment_id}/changes", params={"since": since})
    assert answer.status_code == 200, answer.text
    found = {item["id"]: item["change"] for item in answer.json()["items"]}
    assert found == {"ada": "entered", "bob": "left"}
