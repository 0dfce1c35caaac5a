"""Every operator on every type, on both backends: unicode, missing values, defaults."""

from typing import Any

import httpx
import pytest

from tests.segments.support import declare, preview_ids, put, where


@pytest.fixture
def people(api: httpx.Client) -> httpx.Client:
    declare(api, "tier", "enum", enum_values=["free", "pro", "team"])
    declare(api, "plan", "string", default="basic")
    put(
        api,
        "ada",
        email="ada@example.com",
        attributes={
            "name": "Ada Lövelace",
            "age": 36,
            "score": 2.5,
            "vip": True,
            "signup": "2024-05-01T10:00:00Z",
            "tier": "pro",
            "city": "Zürich",
        },
    )
    put(
        api,
        "bob",
        phone="+19148440001",
        attributes={
            "name": "Bob",
            "age": 17,
            "score": -1,
            "vip": False,
            "signup": "2024-05-01T10:00:00.500000Z",
            "tier": "free",
            "plan": "gold",
        },
    )
    put(api, "cy", attributes={"name": "日本語 名前", "age": 36.5, "signup": "1999-12-31"})
    put(api, "dee", attributes={"city": "x.y"})
    return api


CASES: list[tuple[dict[str, Any], set[str]]] = [
    (where("name", "eq", "Ada Lövelace"), {"ada"}),
    (where("name", "neq", "Bob"), {"ada", "cy"}),
    (where("name", "in", ["Bob", "日本語 名前", "nobody"]), {"bob", "cy"}),
    (where("name", "not_in", ["Bob"]), {"ada", "cy"}),
    (where("name", "contains", "本語"), {"cy"}),
    (where("name", "contains", "lö"), set()),
    (where("name", "contains", "Lö"), {"ada"}),
    (where("name", "starts_with", "B"), {"bob"}),
    (where("name", "starts_with", "b"), set()),
    (where("name", "exists"), {"ada", "bob", "cy"}),
    (where("name", "not_exists"), {"dee"}),
    (where("age", "eq", 36), {"ada"}),
    (where("age", "eq", "36"), {"ada"}),
    (where("age", "gt", 36), {"cy"}),
    (where("age", "gte", 36), {"ada", "cy"}),
    (where("age", "lt", 36), {"bob"}),
    (where("age", "lte", 36.5), {"ada", "bob", "cy"}),
    (where("age", "in", [17, 36.5]), {"bob", "cy"}),
    (where("age", "not_in", [17]), {"ada", "cy"}),
    (where("age", "neq", 17), {"ada", "cy"}),
    (where("score", "lt", 0), {"bob"}),
    (where("score", "gt", 2.4), {"ada"}),
    (where("vip", "eq", True), {"ada"}),
    (where("vip", "eq", "false"), {"bob"}),
    (where("vip", "neq", True), {"bob"}),
    (where("signup", "after", "2024-05-01T10:00:00Z"), {"bob"}),
    (where("signup", "gte", "2024-05-01T12:00:00+02:00"), {"ada", "bob"}),
    (where("signup", "before", "2024-05-01T10:00:00.1Z"), {"ada", "cy"}),
    (where("signup", "eq", "2024-05-01T12:00:00+02:00"), {"ada"}),
    (where("signup", "lt", "2000-01-01"), {"cy"}),
    (where("signup", "within_last_days", 3650), {"ada", "bob"}),
    (where("tier", "eq", "pro"), {"ada"}),
    (where("tier", "in", ["pro", "free"]), {"ada", "bob"}),
    (where("tier", "not_in", ["pro"]), {"bob"}),
    (where("plan", "eq", "basic"), {"ada", "cy", "dee"}),
    (where("plan", "neq", "basic"), {"bob"}),
    (where("plan", "exists"), {"ada", "bob", "cy", "dee"}),
    (where("city", "eq", "x.y"), {"dee"}),
    (where("city", "starts_with", "Zü"), {"ada"}),
    ({"identifier": "email", "op": "exists"}, {"ada"}),
    ({"identifier": "phone", "op": "exists"}, {"bob"}),
    ({"identifier": "email", "op": "not_exists"}, {"bob", "cy", "dee"}),
    ({"not": where("age", "gt", 20)}, {"bob", "dee"}),
    ({"not": where("vip", "eq", True)}, {"bob", "cy", "dee"}),
    ({"all": [where("age", "gte", 18), where("vip", "exists")]}, {"ada"}),
    ({"any": [where("age", "lt", 18), where("city", "exists")]}, {"ada", "bob", "dee"}),
    ({"all": []}, {"ada", "bob", "cy", "dee"}),
    ({"any": []}, set()),
    ({"not": {"any": [where("age", "lt", 18), {"not": where("name", "exists")}]}}, {"ada", "cy"}),
]


def test_every_operator_selects_what_it_says(people: httpx.Client) -> None:
    for predicate, expected in CASES:
        assert preview_ids(people, predicate) == expected, predicate


def test_a_default_is_matched_like_a_stored_value(people: httpx.Client) -> None:
    assert people.get("/v1/customers/dee").json()["attributes"]["plan"] == "basic"
    assert preview_ids(people, where("plan", "contains", "asi")) == {"ada", "cy", "dee"}


def test_attribute_names_that_need_quoting(api: httpx.Client) -> None:
    put(api, "q1", attributes={'say "hi"': "yes", "Favorite color": "blue", "ünï": 1})
    put(api, "q2", attributes={'say "hi"': "no", "favorite color": "blue"})
    assert preview_ids(api, where('say "hi"', "eq", "yes")) == {"q1"}
    assert preview_ids(api, where('say "hi"', "exists")) == {"q1", "q2"}
    assert preview_ids(api, where('say "hi"', "starts_with", "n")) == {"q2"}
    assert preview_ids(api, where("Favorite color", "eq", "blue")) == {"q1"}
    assert preview_ids(api, where("ünï", "gte", 1)) == {"q1"}
