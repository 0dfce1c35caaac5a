"""The catalog kept in memory per workspace (attributes.cache) never outlives a change.

Every change to definitions or settings bumps the workspace's catalog version in its
transaction, and every request reads that version with its key; these tests change the
catalog after a request has filled the memory and expect the very next request to see it.
"""

import httpx

from attrium.attributes import store as definitions
from attrium.workspaces import store as workspaces
from tests.support.workspaces import TestWorkspace


def test_a_default_defined_after_a_write_shows_on_the_next_read(api: httpx.Client) -> None:
    assert api.put("/v1/customers/c1", json={"attributes": {"plan": "pro"}}).is_success
    assert api.get("/v1/customers/c1").json()["attributes"] == {"plan": "pro"}
    tier = {"name": "tier", "type": "string", "default": "gold"}
    assert api.post("/v1/attributes", json=tier).status_code == 201
    assert api.get("/v1/customers/c1").json()["attributes"]["tier"] == "gold"
    assert api.patch("/v1/attributes/tier", json={"default": "silver"}).is_success
    assert api.get("/v1/customers/c1").json()["attributes"]["tier"] == "silver"


def test_a_deleted_definition_is_forgotten(api: httpx.Client) -> None:
    assert api.put("/v1/customers/c1", json={"attributes": {"plan": "pro"}}).is_success
    assert api.delete("/v1/attributes/plan", params={"purge": "true"}).status_code == 204
    answer = api.patch("/v1/customers/c1/attributes", json={"plan": 3})
    assert answer.status_code == 200, answer.text
    assert api.get("/v1/attributes/plan").json()["type"] == "number"


def test_a_type_inferred_by_a_refused_write_is_not_remembered(api: httpx.Client) -> None:
    assert api.put("/v1/customers/c1", json={}).is_success
    missing = api.patch("/v1/customers/nobody/attributes", json={"colour": "red"})
    assert missing.status_code == 404
    answer = api.patch("/v1/customers/c1/attributes", json={"colour": 7})
    assert answer.status_code == 200, answer.text
    assert api.get("/v1/attributes/colour").json()["type"] == "number"


def test_a_change_written_by_another_process_is_seen(
    api: httpx.Client, workspace: TestWorkspace
) -> None:
    """Written straight to the database, as another process would, with its version bump."""
    assert api.put("/v1/customers/c1", json={"attributes": {"plan": "pro"}}).is_success
    assert api.get("/v1/customers/c1").json()["attributes"] == {"plan": "pro"}
    backend, workspace_id = workspace.backend, workspace.workspace.workspace_id

    async def set_default() -> None:
        async with backend.db.transaction() as connection:
            await workspaces.bump_catalog_version(connection, workspace_id)
            await definitions.update_definition(
                connection, workspace_id, "customer", "plan", default_value="free"
            )

    backend.run(set_default())
    assert api.put("/v1/customers/c2", json={}).is_success
    assert api.get("/v1/customers/c2").json()["attributes"] == {"plan": "free"}


def test_a_setting_changed_applies_to_the_next_request(api: httpx.Client) -> None:
    assert api.put("/v1/customers/c1", json={}).is_success
    assert api.patch("/v1/customers/c1/attributes", json={"a": 1, "b": 2}).is_success
    limited = {"max_attributes_per_request": 1}
    assert api.patch("/v1/workspace/settings", json=limited).is_success
    refused = api.patch("/v1/customers/c1/attributes", json={"a": 2, "b": 3})
    assert refused.status_code == 422, refused.text
