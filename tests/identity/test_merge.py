"""POST /v1/customers/merge: the primary keeps its values and gains what it lacks."""

from typing import Any

import httpx

from tests.support.problems import assert_problem


def merge(api: httpx.Client, primary: dict[str, Any], secondary: dict[str, Any]) -> httpx.Response:
    return api.post("/v1/customers/merge", json={"primary": primary, "secondary": secondary})


def test_primary_keeps_its_values_and_gains_what_it_lacks(api: httpx.Client) -> None:
    primary = api.put(
        "/v1/customers/p",
        json={"email": "p@example.com", "attributes": {"plan": "pro", "age": 30}},
    ).json()
    secondary = api.put(
        "/v1/customers/s",
        json={
            "email": "s@example.com",
            "phone": "+19148440001",
            "custom_identifiers": {"crm": "9"},
            "attributes": {"plan": "free", "city": "Porto"},
        },
    ).json()
    answer = merge(api, {"id": "p"}, {"email": "s@example.com"})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    merged = body["customer"]
    assert merged["profile_id"] == primary["profile_id"]
    assert merged["attributes"] == {"plan": "pro", "age": 30, "city": "Porto"}
    assert (merged["id"], merged["email"], merged["phone"]) == (
        "p",
        "p@example.com",
        "+19148440001",
    )
    assert merged["custom_identifiers"] == {"crm": "9"}
    assert body["secondary_profile_id"] == secondary["profile_id"]
    assert body["moved_identifiers"] == ["phone", "custom_identifiers.crm"]
    assert body["dropped_identifiers"] == ["id", "email"]
    assert body["gained_attributes"] == ["city"]
    assert_problem(api.get(f"/v1/customers/profile:{secondary['profile_id']}"), 404)
    assert_problem(api.get("/v1/customers/s"), 404)
    # the dropped identifiers are free again
    assert api.put("/v1/customers/s", json={"email": "s@example.com"}).status_code == 201


def test_subscriptions_relationships_and_activity_move(api: httpx.Client) -> None:
    source = api.post(
        "/v1/signup-sources", json={"name": "SMS", "channel": "TEXT", "type": "MARKETING"}
    ).json()["id"]
    api.post("/v1/object-types", json={"name": "Companies"})
    api.post("/v1/topics", json={"name": "News"})
    api.put("/v1/customers/p", json={"phone": "+19148440001"})
    api.put("/v1/customers/s", json={"phone": "+19148440002", "attributes": {"x": 1}})
    opt_in = {"channel": "TEXT", "type": "MARKETING", "signup_source_id": source}
    api.put(
        "/v1/customers/s/subscriptions",
        json={"subscriptions": [opt_in], "topics": {"topic_1": True}},
    )
    api.put("/v1/customers/p/subscriptions", json={"topics": {"topic_1": False}})
    relate = {"add": [{"object_type_id": "1", "object_id": "acme", "attributes": {"r": "s"}}]}
    api.patch("/v1/customers/s/relationships", json=relate)
    answer = merge(api, {"id": "p"}, {"id": "s"})
    assert answer.status_code == 200, answer.text
    assert answer.json()["moved_rows"] == {
        "subscriptions": 1,
        "topic_preferences": 0,
        "unsubscribes": 0,
        "relationships": 1,
        "devices": 0,
        "activity": answer.json()["moved_rows"]["activity"],
    }
    state = api.get("/v1/customers/p/subscriptions").json()
    assert [item["channel"] for item in state["subscriptions"]] == ["TEXT"]
    assert state["topics"] == {"topic_1": False}
    [relationship] = api.get("/v1/customers/p/relationships").json()["items"]
    assert relationship["attributes"] == {"r": "s"}
    history = api.get("/v1/customers/p/activity", params={"limit": 100}).json()["items"]
    kinds = [entry["type"] for entry in history]
    assert kinds.count("customer_merged") == 1
    assert kinds.count("customer_created") == 2  # the secondary's history came along


def test_the_primary_must_exist(api: httpx.Client) -> None:
    api.put("/v1/customers/s", json={})
    assert_problem(merge(api, {"id": "ghost"}, {"id": "s"}), 404, "primary")
    assert_problem(merge(api, {"id": "s"}, {"id": "ghost"}), 404, "secondary")
    assert api.get("/v1/customers/s").status_code == 200


def test_identifier_objects_are_checked(api: httpx.Client) -> None:
    api.put("/v1/customers/p", json={"email": "p@example.com"})
    assert_problem(merge(api, {"id": "p"}, {"id": "p"}), 422, "secondary")
    assert_problem(merge(api, {"id": "p", "email": "p@example.com"}, {"id": "x"}), 422, "primary")
    assert_problem(merge(api, {}, {"id": "x"}), 422, "primary")
    assert_problem(merge(api, {"email": "nope"}, {"id": "x"}), 422, "primary.email")
    profile_id = api.get("/v1/customers/p").json()["profile_id"]
    api.put("/v1/customers/s", json={"custom_identifiers": {"crm": "1"}})
    answer = merge(
        api, {"profile_id": profile_id}, {"custom_identifier": {"name": "crm", "value": "1"}}
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["customer"]["custom_identifiers"] == {"crm": "1"}


def test_merge_needs_the_write_scope(api: httpx.Client, workspace: Any) -> None:
    with workspace.client(workspace.key(["attributes:read"])) as reader:
        assert_problem(merge(reader, {"id": "a"}, {"id": "b"}), 403)
