"""Deleting a customer keeps only anonymous counts of its activity."""

import httpx

from tests.support.workspaces import TestWorkspace


def all_activity(workspace: TestWorkspace) -> list[dict[str, object]]:
    from attrium.activity.store import activity

    async def rows() -> list[dict[str, object]]:
        async with workspace.backend.db.reader() as connection:
            found = await connection.execute(
                activity.select().where(activity.c.workspace_id == workspace.workspace.workspace_id)
            )
            return [dict(row._mapping) for row in found]

    return workspace.backend.run(rows())


def test_delete_erases_refused_writes_naming_the_customer(
    api: httpx.Client, workspace: TestWorkspace
) -> None:
    api.put("/v1/customers/email:ada@example.com", json={"attributes": {"age": 3}})
    api.patch("/v1/customers/email:ada@example.com/attributes", json={"age": "old"})
    assert api.delete("/v1/customers/email:ada@example.com").status_code == 204
    rows = all_activity(workspace)
    assert "ada@example.com" not in str(rows)
    [deleted] = [row for row in rows if row["type"] == "customer_deleted"]
    assert deleted["profile_id"] is None
    assert deleted["details"] == {
        "erased_activity_entries": 2,
        "erased_by_type": {"customer_created": 1, "write_rejected": 1},
    }
