"""The attribute rules of the core issue, through the API, on both backends."""

import httpx

from tests.support.problems import assert_problem


def put(api: httpx.Client, customer: str, attributes: dict[str, object]) -> httpx.Response:
    return api.put(f"/v1/customers/{customer}", json={"attributes": attributes})


def patch(api: httpx.Client, customer: str, attributes: dict[str, object]) -> httpx.Response:
    return api.patch(f"/v1/customers/{customer}/attributes", json=attributes)


def test_patch_adds_updates_and_removes(api: httpx.Client) -> None:
    put(api, "c1", {"plan": "pro", "age": 30, "vip": True})
    answer = patch(api, "c1", {"age": 31, "vip": None, "city": "Lisbon"})
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"attributes": {"plan": "pro", "age": 31, "city": "Lisbon"}}
    assert api.get("/v1/customers/c1").json()["attributes"] == answer.json()["attributes"]


def test_patch_of_an_unknown_customer_is_404(api: httpx.Client) -> None:
    assert_problem(patch(api, "nobody", {"a": 1}), 404)


def test_names_are_case_sensitive(api: httpx.Client) -> None:
    put(api, "c1", {"Favorite color": "red", "Favorite Color": "blue"})
    attributes = api.get("/v1/customers/c1").json()["attributes"]
    assert attributes == {"Favorite color": "red", "Favorite Color": "blue"}


def test_names_at_most_200_characters(api: httpx.Client) -> None:
    assert put(api, "c1", {"x" * 200: 1}).status_code == 201
    assert_problem(patch(api, "c1", {"y" * 201: 1}), 422, f"attributes.{'y' * 201}")


def test_empty_name_is_refused(api: httpx.Client) -> None:
    assert_problem(put(api, "c1", {"": 1}), 422, "attributes.")


def test_empty_strings_are_refused(api: httpx.Client) -> None:
    put(api, "c1", {"kept": 1})
    assert_problem(patch(api, "c1", {"city": ""}), 422, "attributes.city")
    assert api.get("/v1/customers/c1").json()["attributes"] == {"kept": 1}


def test_strings_at_most_1000_bytes(api: httpx.Client) -> None:
    assert put(api, "c1", {"bio": "é" * 500}).status_code == 201
    assert_problem(patch(api, "c1", {"bio": "é" * 501}), 422, "attributes.bio")


def test_the_string_limit_is_a_workspace_setting(api: httpx.Client) -> None:
    changed = api.patch("/v1/workspace/settings", json={"max_string_bytes": 5})
    assert changed.status_code == 200, changed.text
    assert changed.json()["settings"]["max_string_bytes"] == 5
    assert_problem(put(api, "c1", {"bio": "abcdef"}), 422, "attributes.bio")


def test_first_value_fixes_the_type_and_strings_that_parse_are_canonicalised(
    api: httpx.Client,
) -> None:
    put(api, "c1", {"age": 24, "vip": False, "seen": "2024-05-01T12:00:00+02:00"})
    answer = patch(api, "c1", {"age": "25", "vip": "true", "seen": "2024-06-01"})
    assert answer.json()["attributes"] == {
        "age": 25,
        "vip": True,
        "seen": "2024-06-01T00:00:00Z",
    }
    types = {item["name"]: item["type"] for item in api.get("/v1/attributes").json()["items"]}
    assert types == {"age": "number", "vip": "boolean", "seen": "datetime"}


def test_a_value_of_another_type_is_refused_naming_the_types(api: httpx.Client) -> None:
    put(api, "c1", {"age": 24})
    problem = assert_problem(patch(api, "c1", {"age": "old"}), 422, "attributes.age")
    assert problem["errors"][0]["rule"] == "type.number"
    assert (
        problem["errors"][0]["message"] == "attribute 'age' has type number; got a string ('old')"
    )


def test_a_string_first_value_makes_a_string_natively(api: httpx.Client) -> None:
    put(api, "c1", {"zip": "02134"})
    assert patch(api, "c1", {"zip": "10001"}).json()["attributes"]["zip"] == "10001"
    assert_problem(patch(api, "c1", {"zip": 10001}), 422, "attributes.zip")


def test_enum_accepts_only_declared_values_case_sensitively(api: httpx.Client) -> None:
    declared = api.post(
        "/v1/attributes",
        json={"name": "age_group", "type": "enum", "enum_values": ["Adult", "Teen", "Children's"]},
    )
    assert declared.status_code == 201, declared.text
    assert put(api, "c1", {"age_group": "Teen"}).status_code == 201
    problem = assert_problem(patch(api, "c1", {"age_group": "teen"}), 422, "attributes.age_group")
    assert "Adult" in problem["detail"]


def test_declared_default_appears_on_read_without_rewriting_rows(api: httpx.Client) -> None:
    put(api, "c1", {"plan": "pro"})
    api.post("/v1/attributes", json={"name": "tier", "type": "string", "default": "bronze"})
    put(api, "c2", {"tier": "gold"})
    assert api.get("/v1/customers/c1").json()["attributes"] == {"plan": "pro", "tier": "bronze"}
    assert api.get("/v1/customers/c2").json()["attributes"] == {"tier": "gold"}
    api.patch("/v1/attributes/tier", json={"default": None})
    assert api.get("/v1/customers/c1").json()["attributes"] == {"plan": "pro"}


def test_attribute_limit_rejects_the_whole_request(api: httpx.Client) -> None:
    api.patch("/v1/workspace/settings", json={"max_attributes": 3})
    put(api, "c1", {"a": 1, "b": 2})
    problem = assert_problem(patch(api, "c1", {"b": 3, "c": 3, "d": 4}), 422)
    assert problem["type"] == "/problems/limit-exceeded"
    assert api.get("/v1/customers/c1").json()["attributes"] == {"a": 1, "b": 2}
    assert patch(api, "c1", {"c": 3}).status_code == 200


def test_a_request_applies_entirely_or_not_at_all(api: httpx.Client) -> None:
    put(api, "c1", {"age": 24})
    broken = {"city": "Porto", "age": "x", "tags": ["\u0000"]}
    problem = assert_problem(patch(api, "c1", broken), 422)
    assert {error["field"] for error in problem["errors"]} == {"attributes.tags.0"}
    problem = assert_problem(patch(api, "c1", {"city": "Porto", "age": "x"}), 422)
    assert {error["field"] for error in problem["errors"]} == {"attributes.age"}
    assert api.get("/v1/customers/c1").json()["attributes"] == {"age": 24}
    names = {item["name"] for item in api.get("/v1/attributes").json()["items"]}
    assert "city" not in names


def test_upserts_are_idempotent(api: httpx.Client) -> None:
    first = put(api, "c1", {"age": 24, "plan": "pro"})
    again = put(api, "c1", {"age": 24, "plan": "pro"})
    assert first.status_code == 201
    assert again.status_code == 200
    assert again.json() == first.json()
    patched = patch(api, "c1", {"age": 25})
    assert patch(api, "c1", {"age": 25}).json() == patched.json()
    entries = api.get("/v1/customers/c1/activity").json()["items"]
    assert [entry["type"] for entry in entries] == ["customer_updated", "customer_created"]


def test_delete_one_attribute_and_the_customer(api: httpx.Client) -> None:
    put(api, "c1", {"age": 24, "plan": "pro"})
    assert api.delete("/v1/customers/c1/attributes/plan").status_code == 204
    assert api.get("/v1/customers/c1").json()["attributes"] == {"age": 24}
    assert api.delete("/v1/customers/c1/attributes/plan").status_code == 204
    assert api.delete("/v1/customers/c1").status_code == 204
    assert_problem(api.get("/v1/customers/c1"), 404)
    assert_problem(api.delete("/v1/customers/c1"), 404)
