"""Admin actions (keys, catalog, settings) are recorded with the key that made them."""

import httpx

from attrium.activity.store import activity
from tests.support.workspaces import TestWorkspace


def admin_entries(workspace: TestWorkspace) -> list[tuple[str, str | None]]:
    async def read() -> list[tuple[str, str | None]]:
        async with workspace.backend.db.reader() as connection:
            rows = await connection.execute(
                activity.select()
                .where(activity.c.workspace_id == workspace.workspace.workspace_id)
                .where(activity.c.profile_id.is_(None))
                .order_by(activity.c.activity_id)
            )
            return [(row.type, row.key_id) for row in rows]

    return workspace.backend.run(read())


def test_catalog_key_and_settings_changes_are_audited(
    api: httpx.Client, workspace: TestWorkspace
) -> None:
    assert api.post("/v1/attributes", json={"name": "tier", "type": "string"}).status_code == 201
    assert api.patch("/v1/attributes/tier", json={"description": "plan tier"}).status_code == 200
    assert api.delete("/v1/attributes/tier").status_code == 204
    assert api.patch("/v1/workspace/settings", json={"max_attributes": 50}).status_code == 200
    key = api.post("/v1/keys", json={"scopes": ["attributes:read"]}).json()
    assert api.delete(f"/v1/keys/{key['id']}").status_code == 204
    entries = admin_entries(workspace)
    types = [entry_type for entry_type, _ in entries]
    for expected in (
        "attribute_defined",
        "attribute_definition_changed",
        "attribute_definition_deleted",
        "settings_changed",
        "key_created",
        "key_revoked",
    ):
        assert expected in types, entries
    acting = workspace.actor.key_id
    assert all(key_id == acting for entry_type, key_id in entries if entry_type != "key_created")
