"""The attribute catalog routes, on both backends."""

import httpx

from tests.support.problems import assert_problem
from tests.support.workspaces import TestWorkspace


def test_define_get_list(api: httpx.Client) -> None:
    created = api.post(
        "/v1/attributes",
        json={
            "name": "tier",
            "type": "enum",
            "enum_values": ["gold", "silver"],
            "default": "silver",
            "description": "loyalty tier",
        },
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["type"] == "enum"
    assert body["default"] == "silver"
    assert body["declared"] is True
    assert body["source"] == "api"
    assert body["customer_count"] == 0
    assert api.get("/v1/attributes/tier").json()["enum_values"] == ["gold", "silver"]
    items = api.get("/v1/attributes").json()["items"]
    assert [item["name"] for item in items] == ["tier"]
    assert set(items[0]) >= {
        "name",
        "type",
        "enum_values",
        "default",
        "description",
        "source",
        "created_at",
        "updated_at",
        "last_written_at",
        "last_written_by",
    }


def test_defining_twice_is_409(api: httpx.Client) -> None:
    api.post("/v1/attributes", json={"name": "tier", "type": "string"})
    assert_problem(api.post("/v1/attributes", json={"name": "tier", "type": "number"}), 409)


def test_definitions_are_validated(api: httpx.Client) -> None:
    assert_problem(
        api.post("/v1/attributes", json={"name": "t", "type": "enum"}), 422, "enum_values"
    )
    assert_problem(
        api.post("/v1/attributes", json={"name": "t", "type": "number", "default": "many"}),
        422,
        "default",
    )
    assert_problem(api.post("/v1/attributes", json={"name": "t", "type": "colour"}), 422, "type")
    assert_problem(api.post("/v1/attributes", json={"name": "", "type": "string"}), 422, "name")


def test_declared_type_governs_the_first_write(api: httpx.Client) -> None:
    api.post("/v1/attributes", json={"name": "age", "type": "number"})
    assert api.put("/v1/customers/c1", json={"attributes": {"age": "24"}}).json()["attributes"] == {
        "age": 24
    }


def test_last_write_and_customer_count(api: httpx.Client, workspace: TestWorkspace) -> None:
    api.put("/v1/customers/c1", json={"attributes": {"plan": "pro"}})
    api.put("/v1/customers/c2", json={"attributes": {"plan": "free"}})
    entry = api.get("/v1/attributes/plan").json()
    assert entry["customer_count"] == 2
    assert entry["last_written_by"] == workspace.actor.key_id
    assert entry["last_written_source"] == "api"
    assert entry["realtime"] is True
    assert entry["freshness"] == "red"


def test_type_changes_only_while_unused(api: httpx.Client) -> None:
    api.put("/v1/customers/c1", json={"attributes": {"zip": "02134"}})
    assert_problem(api.patch("/v1/attributes/zip", json={"type": "number"}), 409)
    api.delete("/v1/customers/c1/attributes/zip")
    changed = api.patch("/v1/attributes/zip", json={"type": "number", "description": "postal"})
    assert changed.status_code == 200, changed.text
    assert changed.json()["type"] == "number"


def test_delete_refuses_while_in_use_unless_purged(api: httpx.Client) -> None:
    api.put("/v1/customers/c1", json={"attributes": {"plan": "pro", "age": 3}})
    assert_problem(api.delete("/v1/attributes/plan"), 409)
    assert api.delete("/v1/attributes/plan", params={"purge": "true"}).status_code == 204
    assert api.get("/v1/customers/c1").json()["attributes"] == {"age": 3}
    assert_problem(api.get("/v1/attributes/plan"), 404)


def test_catalog_admin_scope_is_needed_to_define(workspace: TestWorkspace) -> None:
    with workspace.client(workspace.key(["attributes:read", "attributes:write"])) as writer:
        assert_problem(writer.post("/v1/attributes", json={"name": "a", "type": "string"}), 403)
        assert writer.get("/v1/attributes").status_code == 200
