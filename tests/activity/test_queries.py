"""GET /v1/activity and GET /v1/attributes/{name}/changes."""

import time
from datetime import UTC, datetime
from typing import Any

import httpx

from tests.support.problems import assert_problem


def search(api: httpx.Client, **params: Any) -> dict[str, Any]:
    answer = api.get("/v1/activity", params=params)
    assert answer.status_code == 200, answer.text
    page: dict[str, Any] = answer.json()
    return page


def moment() -> str:
    time.sleep(0.01)
    now = datetime.now(UTC).isoformat()
    time.sleep(0.01)
    return now


def test_filters_combine_and_pages_run_newest_first(api: httpx.Client) -> None:
    api.put("/v1/customers/c1", json={"attributes": {"age": 1, "plan": "a"}})
    middle = moment()
    api.put("/v1/customers/c2", json={"email": "c2@example.com", "attributes": {"age": 5}})
    api.patch("/v1/customers/c1/attributes", json={"age": "x"})
    api.patch("/v1/customers/c1/attributes", json={"plan": "b"})
    everything = search(api, limit=100)["items"]
    assert [entry["type"] for entry in everything][:2] == ["customer_updated", "write_rejected"]
    ages = search(api, attribute="age", type="customer_created,customer_updated")["items"]
    assert [entry["changes"]["attributes"]["age"]["new"] for entry in ages] == [5, 1]
    plans = search(api, attribute="plan")["items"]
    assert [entry["changes"]["attributes"]["plan"]["new"] for entry in plans] == ["b", "a"]
    mine = search(api, customer="c1", type="customer_created,write_rejected")["items"]
    assert [entry["type"] for entry in mine] == ["write_rejected", "customer_created"]
    by_email = search(api, customer="email:c2@example.com", type="customer_created")["items"]
    assert len(by_email) == 1
    late = search(api, since=middle, attribute="age", type="customer_created")["items"]
    assert [entry["changes"]["attributes"]["age"]["new"] for entry in late] == [5]
    early = search(api, until=middle)["items"]
    assert sorted(early[0]["changes"]["attributes"]) == ["age", "plan"]
    first = search(api, limit=2)
    second = search(api, limit=2, cursor=first["next_cursor"])
    assert [e["id"] for e in first["items"] + second["items"]] == [e["id"] for e in everything[:4]]


def test_bad_filters_are_422_naming_the_parameter(api: httpx.Client) -> None:
    assert_problem(api.get("/v1/activity", params={"type": "nonsense"}), 422, "type")
    assert_problem(api.get("/v1/activity", params={"since": "2026-01-01T00:00:00"}), 422, "since")
    window = {"since": "2026-01-02T00:00:00Z", "until": "2026-01-01T00:00:00Z"}
    assert_problem(api.get("/v1/activity", params=window), 422, "since")
    assert_problem(api.get("/v1/activity", params={"customer": "ghost"}), 404)


def test_attribute_changes_give_before_and_after_the_window(api: httpx.Client) -> None:
    api.put("/v1/customers/c1", json={"attributes": {"tier": 1}})
    api.put("/v1/customers/c2", json={"attributes": {"tier": 7}})
    api.put("/v1/customers/c3", json={"attributes": {"tier": 3}})
    since = moment()
    api.patch("/v1/customers/c1/attributes", json={"tier": 2})
    api.patch("/v1/customers/c1/attributes", json={"tier": 3})
    api.patch("/v1/customers/c2/attributes", json={"tier": 8})
    api.patch("/v1/customers/c2/attributes", json={"tier": 7})  # back where it began
    api.put("/v1/customers/c4", json={"attributes": {"tier": 9}})
    api.patch("/v1/customers/c3/attributes", json={"tier": None})
    until = moment()
    api.patch("/v1/customers/c1/attributes", json={"tier": 4})
    answer = api.get("/v1/attributes/tier/changes", params={"since": since, "until": until})
    assert answer.status_code == 200, answer.text
    found = {
        item["id"]: (item["before"], item["after"], item["changes"])
        for item in answer.json()["items"]
    }
    assert found == {"c1": (1, 3, 2), "c3": (3, None, 1), "c4": (None, 9, 1)}
    # the default window is the last day
    recent = api.get("/v1/attributes/tier/changes").json()["items"]
    assert {item["id"]: item["after"] for item in recent}["c1"] == 4


def test_attribute_changes_page_by_customer(api: httpx.Client) -> None:
    since = moment()
    for number in range(5):
        api.put(f"/v1/customers/c{number}", json={"attributes": {"n": number}})
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"since": since, "limit": 2} | (
            {"cursor": cursor} if cursor else {}
        )
        page = api.get("/v1/attributes/n/changes", params=params).json()
        seen.extend(item["id"] for item in page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == [f"c{number}" for number in range(5)]
