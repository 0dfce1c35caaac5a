"""Segments as of T read the same whether they walk back from now or from a snapshot."""

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import func, select

from attrium.history import snapshots
from tests.history.support import moment, put
from tests.history.test_segments_as_of import ON_PRO, preview
from tests.segments.support import declare
from tests.support.workspaces import TestWorkspace


def take(workspace: TestWorkspace, at: str) -> None:
    async def work() -> None:
        async with workspace.backend.db.transaction() as connection:
            workspace_id = workspace.workspace.workspace_id
            await snapshots.take(connection, workspace_id, datetime.fromisoformat(at))

    workspace.backend.run(work())


def snapshot_rows(workspace: TestWorkspace) -> int:
    async def work() -> int:
        async with workspace.backend.db.reader() as connection:
            query = select(func.count()).where(
                snapshots.snapshots.c.workspace_id == workspace.workspace.workspace_id
            )
            return int((await connection.execute(query)).scalar_one())

    return workspace.backend.run(work())


def test_answers_are_the_same_from_a_snapshot(workspace: TestWorkspace, api: httpx.Client) -> None:
    declare(api, "plan", "string")
    with_email: dict[str, Any] = {"identifier": "email", "op": "exists"}
    put(api, "a", attributes={"plan": "pro"}, email="a@example.com")
    put(api, "b", attributes={"plan": "free"})
    put(api, "c", attributes={"plan": "pro"})
    first = moment()
    put(api, "a", attributes={"plan": "free"}, email=None)
    put(api, "b", attributes={"plan": "pro"}, email="b@example.com")
    second = moment()
    api.delete("/v1/customers/c/attributes/plan")
    put(api, "d", attributes={"plan": "pro"})
    third = moment()
    put(api, "b", attributes={"plan": "team"})
    instants = (first, second, third)
    expected = {
        instant: (preview(api, ON_PRO, instant), preview(api, with_email, instant))
        for instant in instants
    }
    assert expected[first] == ({"a", "c"}, {"a"})
    assert expected[second] == ({"b", "c"}, {"b"})
    take(workspace, second)
    take(workspace, third)
    for instant in instants:
        found = (preview(api, ON_PRO, instant), preview(api, with_email, instant))
        assert found == expected[instant], instant


def test_snapshot_rows_go_with_their_customer(workspace: TestWorkspace, api: httpx.Client) -> None:
    put(api, "p", attributes={"plan": "pro"})
    put(api, "s", attributes={"plan": "free"})
    take(workspace, moment())
    assert snapshot_rows(workspace) == 2
    body = {"primary": {"id": "p"}, "secondary": {"id": "s"}}
    merged = api.post("/v1/customers/merge", json=body)
    assert merged.status_code == 200, merged.text
    assert snapshot_rows(workspace) == 1
    assert api.delete("/v1/customers/p").status_code == 204
    assert snapshot_rows(workspace) == 0


def test_a_snapshot_is_taken_when_due(workspace: TestWorkspace, api: httpx.Client) -> None:
    put(api, "a", attributes={"plan": "pro"})
    workspace_id = workspace.workspace.workspace_id
    now = datetime.now(UTC) + timedelta(hours=1)  # the customer is settled by then
    day = timedelta(days=1)
    backend = workspace.backend
    assert backend.run(snapshots.keep_up(backend.db, workspace_id, now, day, None))
    assert snapshot_rows(workspace) == 1
    assert not backend.run(snapshots.keep_up(backend.db, workspace_id, now, day, None))
    later = now + day
    assert backend.run(snapshots.keep_up(backend.db, workspace_id, later, day, later))
    assert snapshot_rows(workspace) == 1  # the first fell out of the window
