"""A customer's devices: added or updated by id, listed on the profile, removed."""

from typing import Any

import httpx

from tests.support.problems import assert_problem
from tests.support.workspaces import TestWorkspace

IPHONE = {"platform": "ios", "last_used": "2026-05-01T10:00:00Z", "attributes": {"app": "1.2"}}


def put_device(api: httpx.Client, customer: str, device: str, **body: Any) -> httpx.Response:
    return api.put(f"/v1/customers/{customer}/devices/{device}", json=body)


def devices_of(api: httpx.Client, customer: str) -> list[dict[str, Any]]:
    answer = api.get(f"/v1/customers/{customer}")
    assert answer.status_code == 200, answer.text
    found: list[dict[str, Any]] = answer.json()["devices"]
    return found


def test_a_device_is_added_then_updated_by_id(api: httpx.Client) -> None:
    api.put("/v1/customers/c1", json={})
    added = put_device(api, "c1", "tok-1", **IPHONE)
    assert added.status_code == 201, added.text
    assert added.json() == {
        "id": "tok-1",
        "platform": "ios",
        "last_used": "2026-05-01T10:00:00Z",
        "attributes": {"app": "1.2"},
        "created_at": added.json()["created_at"],
        "updated_at": added.json()["updated_at"],
    }
    updated = put_device(api, "c1", "tok-1", platform="ios", last_used="2026-05-02T10:00:00Z")
    assert updated.status_code == 200, updated.text
    assert updated.json()["created_at"] == added.json()["created_at"]
    put_device(api, "c1", "tok-0", platform="android")
    assert [(d["id"], d["last_used"], d["attributes"]) for d in devices_of(api, "c1")] == [
        ("tok-0", None, {}),
        ("tok-1", "2026-05-02T10:00:00Z", {}),
    ]
    listed = api.get("/v1/customers/c1/devices").json()["items"]
    assert listed == devices_of(api, "c1")


def test_a_new_customer_has_no_devices(api: httpx.Client) -> None:
    api.put("/v1/customers/c1", json={})
    assert devices_of(api, "c1") == []


def test_delete_removes_the_device(api: httpx.Client) -> None:
    api.put("/v1/customers/c1", json={})
    put_device(api, "c1", "tok-1", platform="ios")
    assert api.delete("/v1/customers/c1/devices/tok-1").status_code == 204
    assert devices_of(api, "c1") == []
    assert_problem(api.delete("/v1/customers/c1/devices/tok-1"), 404)


def test_device_changes_are_logged_but_not_last_used_alone(api: httpx.Client) -> None:
    api.put("/v1/customers/c1", json={})
    put_device(api, "c1", "tok-1", platform="ios")
    put_device(api, "c1", "tok-1", platform="ios", last_used="2026-05-02T10:00:00Z")
    put_device(api, "c1", "tok-1", platform="android")
    api.delete("/v1/customers/c1/devices/tok-1")
    items = api.get("/v1/customers/c1/activity").json()["items"]
    logged = [(e["type"], e["details"]) for e in items if e["type"].startswith("device_")]
    assert logged == [
        ("device_removed", {"device_id": "tok-1", "platform": "android"}),
        ("device_changed", {"device_id": "tok-1", "platform": "android"}),
        ("device_added", {"device_id": "tok-1", "platform": "ios"}),
    ]


def test_bad_devices_are_refused_naming_the_field(api: httpx.Client) -> None:
    api.put("/v1/customers/c1", json={})
    cases: list[tuple[dict[str, Any], str]] = [
        ({"platform": "windows"}, "platform"),
        ({}, "platform"),
        ({"platform": "ios", "last_used": "monday"}, "last_used"),
        ({"platform": "ios", "attributes": ["a"]}, "attributes"),
        ({"platform": "ios", "attributes": {"a": "x" * 10_001}}, "attributes"),
        ({"platform": "ios", "colour": "red"}, "colour"),
    ]
    for body, field in cases:
        assert_problem(put_device(api, "c1", "tok-1", **body), 422, field)
    assert_problem(put_device(api, "c1", "x" * 1001, platform="ios"), 422, "id")
    assert_problem(put_device(api, "nobody", "tok-1", platform="ios"), 404)
    assert devices_of(api, "c1") == []


def test_devices_go_with_their_customer(api: httpx.Client, workspace: TestWorkspace) -> None:
    from attrium.devices.store import devices

    for customer in ("c1", "c2"):
        api.put(f"/v1/customers/{customer}", json={})
        put_device(api, customer, f"tok-{customer}", platform="ios")
    assert api.delete("/v1/customers/c1").status_code == 204
    assert api.post("/v1/customers/c2/suppress").status_code == 200

    async def rows() -> list[Any]:
        async with workspace.backend.db.reader() as connection:
            query = devices.select().where(
                devices.c.workspace_id == workspace.workspace.workspace_id
            )
            return list(await connection.execute(query))

    assert workspace.backend.run(rows()) == []


def test_a_merge_moves_the_devices_the_primary_lacks(api: httpx.Client) -> None:
    api.put("/v1/customers/p", json={})
    api.put("/v1/customers/s", json={})
    put_device(api, "p", "shared", platform="ios")
    put_device(api, "s", "shared", platform="android")
    put_device(api, "s", "own", platform="android")
    answer = api.post(
        "/v1/customers/merge", json={"primary": {"id": "p"}, "secondary": {"id": "s"}}
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["moved_rows"]["devices"] == 1
    assert [(d["id"], d["platform"]) for d in devices_of(api, "p")] == [
        ("own", "android"),
        ("shared", "ios"),
    ]
