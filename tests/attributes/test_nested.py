"""Object and array attributes through the native API, on both backends."""

import httpx

from tests.support.activity import activity_of
from tests.support.problems import assert_problem

ADDRESS = {"city": "Lisbon", "zip": "1000-001", "geo": {"lat": 38.7, "lon": -9.1}}


def put(api: httpx.Client, customer: str, attributes: dict[str, object]) -> httpx.Response:
    return api.put(f"/v1/customers/{customer}", json={"attributes": attributes})


def patch(api: httpx.Client, customer: str, attributes: dict[str, object]) -> httpx.Response:
    return api.patch(f"/v1/customers/{customer}/attributes", json=attributes)


def types_of(api: httpx.Client) -> dict[str, str]:
    return {item["name"]: item["type"] for item in api.get("/v1/attributes").json()["items"]}


def test_objects_and_arrays_are_stored_and_returned_exactly(api: httpx.Client) -> None:
    tags = ["vip", 2, 2.5, True, None, {"k": "v"}, ["x"]]
    created = put(api, "c1", {"address": ADDRESS, "tags": tags, "plan": "pro"})
    assert created.status_code == 201, created.text
    held = api.get("/v1/customers/c1").json()["attributes"]
    assert held == {"address": ADDRESS, "tags": tags, "plan": "pro"}
    assert held["address"]["geo"]["lat"] == 38.7
    assert types_of(api) == {"address": "object", "tags": "array", "plan": "string"}


def test_numbers_text_and_empty_containers_come_back_as_sent(api: httpx.Client) -> None:
    profile = {
        "big": 2**60,
        "tiny": -1.5e-7,
        "float_one": 1.0,
        "text": '日本語 é " \\ \n',
        "empty": {},
        "none": [],
        "blank": "",
    }
    assert put(api, "c1", {"profile": profile}).status_code == 201
    held = api.get("/v1/customers/c1").json()["attributes"]["profile"]
    assert held == profile
    assert type(held["float_one"]) is float
    assert type(held["big"]) is int


def test_a_write_replaces_the_whole_object(api: httpx.Client) -> None:
    put(api, "c1", {"address": ADDRESS})
    answer = patch(api, "c1", {"address": {"city": "Porto"}})
    assert answer.status_code == 200, answer.text
    assert answer.json()["attributes"] == {"address": {"city": "Porto"}}
    assert api.get("/v1/customers/c1").json()["attributes"] == {"address": {"city": "Porto"}}


def test_null_members_of_objects_are_dropped(api: httpx.Client) -> None:
    put(api, "c1", {"address": {"city": "Lisbon", "apt": None, "more": [{"a": None, "b": 1}]}})
    held = api.get("/v1/customers/c1").json()["attributes"]
    assert held == {"address": {"city": "Lisbon", "more": [{"b": 1}]}}


def test_the_type_holds_after_the_first_value(api: httpx.Client) -> None:
    put(api, "c1", {"address": ADDRESS, "tags": ["a"]})
    problem = assert_problem(patch(api, "c1", {"address": "Lisbon"}), 422, "attributes.address")
    assert problem["errors"][0]["rule"] == "type.object"
    problem = assert_problem(patch(api, "c1", {"tags": {"a": 1}}), 422, "attributes.tags")
    assert problem["errors"][0]["rule"] == "type.array"
    put(api, "c2", {"plan": "pro"})
    assert_problem(patch(api, "c2", {"plan": {"name": "pro"}}), 422, "attributes.plan")


def test_declared_object_and_array_attributes(api: httpx.Client) -> None:
    declared = api.post(
        "/v1/attributes", json={"name": "address", "type": "object", "default": {"city": "?"}}
    )
    assert declared.status_code == 201, declared.text
    assert declared.json()["default"] == {"city": "?"}
    assert api.post("/v1/attributes", json={"name": "tags", "type": "array"}).status_code == 201
    assert_problem(patch_missing(api), 404)
    put(api, "c1", {})
    assert_problem(patch(api, "c1", {"tags": "vip"}), 422, "attributes.tags")
    assert patch(api, "c1", {"tags": ["vip"], "address": {"city": "Lisbon"}}).status_code == 200
    assert_problem(
        api.post("/v1/attributes", json={"name": "x", "type": "array", "default": 3}),
        422,
        "default",
    )


def patch_missing(api: httpx.Client) -> httpx.Response:
    return patch(api, "nobody", {"tags": ["a"]})


def test_depth_length_and_size_limits_name_the_attribute(api: httpx.Client) -> None:
    deep: object = "bottom"
    for _ in range(6):
        deep = {"d": deep}
    problem = assert_problem(put(api, "c1", {"deep": deep}), 422)
    assert problem["errors"][0]["field"] == "attributes.deep.d.d.d.d.d"
    assert problem["errors"][0]["rule"] == "value.depth"
    assert "5" in problem["errors"][0]["message"]
    problem = assert_problem(put(api, "c1", {"tags": list(range(101))}), 422, "attributes.tags")
    assert problem["errors"][0]["rule"] == "value.array_length"
    big = {f"k{i}": "x" * 900 for i in range(20)}
    problem = assert_problem(put(api, "c1", {"big": big}), 422, "attributes.big")
    assert problem["errors"][0]["rule"] == "value.too_large"
    assert "16384" in problem["errors"][0]["message"]
    assert put(api, "c1", {"tags": list(range(100))}).status_code == 201


def test_string_rules_apply_inside_nested_values(api: httpx.Client) -> None:
    problem = assert_problem(
        put(api, "c1", {"address": {"city": "a\u0000b"}}), 422, "attributes.address.city"
    )
    assert problem["errors"][0]["rule"] == "value.encoding"
    problem = assert_problem(put(api, "c1", {"tags": ["é" * 501]}), 422, "attributes.tags.0")
    assert problem["errors"][0]["rule"] == "value.too_long"
    assert_problem(put(api, "c1", {"address": {"": 1}}), 422, "attributes.address")
    assert api.get("/v1/customers/c1").status_code == 404


def test_activity_holds_nested_values_before_and_after(api: httpx.Client) -> None:
    put(api, "c1", {"address": ADDRESS})
    patch(api, "c1", {"address": {"city": "Porto"}})
    patch(api, "c1", {"address": {"city": "Porto"}})  # the same value: no change
    patch(api, "c1", {"address": {"city": "Porto", "n": 1}})
    patch(api, "c1", {"address": {"city": "Porto", "n": True}})
    entries = activity_of(api, "c1")
    changes = [entry["changes"]["attributes"]["address"] for entry in entries]
    assert changes == [
        {"old": {"city": "Porto", "n": 1}, "new": {"city": "Porto", "n": True}},
        {"old": {"city": "Porto"}, "new": {"city": "Porto", "n": 1}},
        {"old": ADDRESS, "new": {"city": "Porto"}},
        {"old": None, "new": ADDRESS},
    ]


def test_object_attributes_of_objects_are_replaced_whole_too(api: httpx.Client) -> None:
    companies = api.post("/v1/object-types", json={"name": "Companies"}).json()["id"]
    url = f"/v1/objects/{companies}/acme"
    assert api.put(url, json={"attributes": {"hq": ADDRESS, "n": 1}}).status_code == 201
    updated = api.put(url, json={"attributes": {"hq": {"city": "Porto"}}})
    assert updated.status_code == 200, updated.text
    assert api.get(url).json()["attributes"] == {"hq": {"city": "Porto"}, "n": 1}
