"""Events: recorded as `event` entries of a customer's activity, queried, erased, merged."""

from typing import Any

import httpx

from tests.support.problems import assert_problem
from tests.support.workspaces import TestWorkspace


def record(api: httpx.Client, customer: str, **body: Any) -> dict[str, Any]:
    answer = api.post(f"/v1/customers/{customer}/events", json=body)
    assert answer.status_code == 201, answer.text
    entry: dict[str, Any] = answer.json()
    return entry


def events_named(api: httpx.Client, name: str, **params: str) -> list[dict[str, Any]]:
    answer = api.get("/v1/activity", params={"event": name, **params})
    assert answer.status_code == 200, answer.text
    items: list[dict[str, Any]] = answer.json()["items"]
    return items


def test_an_event_is_an_entry_of_the_customers_history(api: httpx.Client) -> None:
    customer = api.put("/v1/customers/c1", json={}).json()
    entry = record(
        api,
        "c1",
        name="purchase",
        data={"sku": "A-1", "price": 9.5},
        timestamp="2026-05-01T12:00:00+02:00",
        id="01J0000000000000000000000A",
    )
    assert entry["type"] == "event"
    assert entry["profile_id"] == customer["profile_id"]
    assert entry["created_at"] == "2026-05-01T10:00:00Z"  # when it happened, in UTC
    assert entry["details"] == {
        "name": "purchase",
        "data": {"sku": "A-1", "price": 9.5},
        "timestamp": "2026-05-01T10:00:00Z",
        "id": "01J0000000000000000000000A",
    }
    [latest] = api.get("/v1/customers/c1/activity", params={"limit": 1}).json()["items"]
    assert latest == entry


def test_events_are_found_by_name_type_customer_and_time(api: httpx.Client) -> None:
    api.put("/v1/customers/c1", json={})
    api.put("/v1/customers/c2", json={})
    record(api, "c1", name="purchase", timestamp="2026-01-10T00:00:00Z")
    record(api, "c1", name="login")
    record(api, "c2", name="purchase", timestamp="2026-03-10T00:00:00Z")
    assert {e["details"]["timestamp"] for e in events_named(api, "purchase")} == {
        "2026-01-10T00:00:00Z",
        "2026-03-10T00:00:00Z",
    }
    assert len(events_named(api, "purchase", customer="c1")) == 1
    assert len(events_named(api, "purchase", since="2026-02-01T00:00:00Z")) == 1
    assert events_named(api, "signup") == []
    typed = api.get("/v1/activity", params={"type": "event", "customer": "c1"}).json()["items"]
    assert sorted(e["details"]["name"] for e in typed) == ["login", "purchase"]


def test_an_event_without_timestamp_happened_now(api: httpx.Client) -> None:
    api.put("/v1/customers/c1", json={})
    entry = record(api, "c1", name="login")
    assert entry["details"] == {"name": "login", "data": {}, "timestamp": entry["created_at"]}


def test_bad_events_are_refused_naming_the_field(api: httpx.Client) -> None:
    api.put("/v1/customers/c1", json={})
    cases: list[tuple[dict[str, Any], int, str]] = [
        ({"name": ""}, 422, "name"),
        ({"name": "x" * 256}, 422, "name"),
        ({"name": "a", "data": [1]}, 422, "data"),
        ({"name": "a", "data": {"blob": "x" * 100_001}}, 422, "data"),
        ({"name": "a", "timestamp": "yesterday"}, 422, "timestamp"),
        ({"name": "a", "timestamp": "2026-05-01T12:00:00"}, 422, "timestamp"),
        ({"name": "a", "colour": "red"}, 422, "colour"),
        ({"data": {}}, 422, "name"),
    ]
    for body, status, field in cases:
        answer = api.post("/v1/customers/c1/events", json=body)
        assert_problem(answer, status, field)
    assert api.get("/v1/activity", params={"type": "event"}).json()["items"] == []


def test_an_event_of_nobody_is_404(api: httpx.Client) -> None:
    answer = api.post("/v1/customers/nobody/events", json={"name": "login"})
    assert_problem(answer, 404)


def test_anonymous_events_go_to_the_holder_of_the_anonymous_id(api: httpx.Client) -> None:
    holder = api.put("/v1/customers/c1", json={"anonymous_id": "cookie-1"}).json()
    answer = api.post("/v1/events", json={"name": "view", "anonymous_id": "cookie-1"})
    assert answer.status_code == 201, answer.text
    assert answer.json()["profile_id"] == holder["profile_id"]
    assert answer.json()["details"]["anonymous_id"] == "cookie-1"
    assert len(events_named(api, "view", customer="c1")) == 1


def test_anonymous_events_of_nobody_are_kept_unattached(api: httpx.Client) -> None:
    answer = api.post("/v1/events", json={"name": "view", "anonymous_id": "cookie-9"})
    assert answer.status_code == 201, answer.text
    assert answer.json()["profile_id"] is None
    assert answer.json()["customer_ref"] == "anonymous_id:cookie-9"
    nameless = api.post("/v1/events", json={"name": "view"})
    assert nameless.status_code == 201, nameless.text
    assert nameless.json()["customer_ref"] is None
    assert len(events_named(api, "view")) == 2


def test_a_customer_given_the_anonymous_id_later_gets_its_events(api: httpx.Client) -> None:
    """Customer.io (seed 004): "If set as an attribute on a person, any events bearing
    the same anonymous value are associated with this person"; by a create or by an
    update, and not a refused write naming the id."""
    api.post("/v1/events", json={"name": "view", "anonymous_id": "cookie-1"})
    api.post("/v1/events", json={"name": "view", "anonymous_id": "cookie-2"})
    api.put("/v1/customers/typed", json={"attributes": {"n": 1}})
    refused = api.put("/v1/customers/anonymous_id:cookie-1", json={"attributes": {"n": "x"}})
    assert refused.status_code == 422, refused.text
    api.put("/v1/customers/c1", json={"anonymous_id": "cookie-1"})
    api.put("/v1/customers/c2", json={})
    api.put("/v1/customers/c2", json={"anonymous_id": "cookie-2"})
    assert len(events_named(api, "view", customer="c1")) == 1
    assert len(events_named(api, "view", customer="c2")) == 1
    rejected = api.get("/v1/activity", params={"type": "write_rejected"}).json()["items"]
    assert [entry["customer_ref"] for entry in rejected] == ["anonymous_id:cookie-1"]
    assert rejected[0]["profile_id"] is None  # nobody's write: it stays unattached


def test_erasure_takes_the_customers_events_and_its_anonymous_ones(
    api: httpx.Client, workspace: TestWorkspace
) -> None:
    api.post("/v1/events", json={"name": "view", "anonymous_id": "cookie-1"})
    api.put("/v1/customers/c1", json={"anonymous_id": "cookie-1"})
    record(api, "c1", name="purchase", data={"card": "4242"})
    api.put("/v1/customers/c2", json={})
    record(api, "c2", name="purchase")
    assert api.delete("/v1/customers/c1").status_code == 204
    remaining = events_named(api, "purchase") + events_named(api, "view")
    assert [entry["details"]["data"] for entry in remaining] == [{}]
    deleted = api.get("/v1/activity", params={"type": "customer_deleted"}).json()["items"]
    assert deleted[0]["details"]["erased_by_type"]["event"] == 2


def test_a_merge_moves_the_secondarys_events(api: httpx.Client) -> None:
    api.put("/v1/customers/p", json={})
    api.put("/v1/customers/s", json={})
    record(api, "s", name="purchase")
    answer = api.post(
        "/v1/customers/merge", json={"primary": {"id": "p"}, "secondary": {"id": "s"}}
    )
    assert answer.status_code == 200, answer.text
    assert len(events_named(api, "purchase", customer="p")) == 1


def test_a_suppressed_anonymous_id_is_refused(api: httpx.Client) -> None:
    api.put("/v1/customers/c1", json={"anonymous_id": "cookie-1"})
    assert api.post("/v1/customers/c1/suppress").status_code in (200, 204)
    answer = api.post("/v1/events", json={"name": "view", "anonymous_id": "cookie-1"})
    assert_problem(answer, 409, "anonymous_id")
