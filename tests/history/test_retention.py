"""Retention: history older than ATTRIUM_HISTORY_DAYS is pruned and cannot be asked for."""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, or_, select

from attrium.activity.store import activity
from attrium.history.retention import prune_workspace
from tests.history.support import as_of, moment, put
from tests.support.backends import BACKEND_NAMES, LiveBackend, start_backend
from tests.support.problems import assert_problem
from tests.support.workspaces import TestWorkspace, new_workspace


@pytest.fixture(scope="module", params=BACKEND_NAMES)
def kept_a_day(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveBackend]:
    folder = Path(tmp_path_factory.mktemp(f"retention-{request.param}"))
    live = start_backend(request.param, folder, history_days=1, history_prune_seconds=0)
    yield live
    live.stop()


def test_before_the_window_is_refused_naming_the_oldest_instant(kept_a_day: LiveBackend) -> None:
    workspace = new_workspace(kept_a_day)
    with workspace.client() as api:
        put(api, "c1", attributes={"plan": "pro"})
        two_days_ago = (datetime.now(UTC) - timedelta(days=2)).isoformat()
        refused = api.get("/v1/customers/c1", params={"as_of": two_days_ago})
        problem = assert_problem(refused, 422, "as_of")
        oldest = datetime.fromisoformat(problem["oldest_as_of"])
        assert timedelta(hours=23) < datetime.now(UTC) - oldest < timedelta(hours=25)
        body = {"predicate": {"attribute": "plan", "op": "exists"}, "as_of": two_days_ago}
        assert_problem(api.post("/v1/segments/preview", json=body), 422, "as_of")
        created = api.post("/v1/segments", json={"name": "s", "predicate": body["predicate"]})
        changes = f"/v1/segments/{created.json()['id']}/changes"
        assert_problem(api.get(changes, params={"since": two_days_ago}), 422, "since")
        assert as_of(api, "c1", moment())["attributes"] == {"plan": "pro"}


def entries_of(workspace: TestWorkspace, profile_id: str) -> int:
    """How many entries are filed under the customer, or were moved from it."""

    async def count() -> int:
        async with workspace.backend.db.reader() as connection:
            query = select(func.count()).where(
                activity.c.workspace_id == workspace.workspace.workspace_id,
                or_(activity.c.profile_id == profile_id, activity.c.merged_from == profile_id),
            )
            return int((await connection.execute(query)).scalar_one())

    return workspace.backend.run(count())


def test_pruning_keeps_every_answer_inside_the_window(
    workspace: TestWorkspace, api: httpx.Client
) -> None:
    put(api, "c1", attributes={"plan": "free"})
    put(api, "c1", attributes={"plan": "basic", "seats": 2})
    cutoff = moment()
    put(api, "c1", attributes={"plan": "pro"})
    later = moment()
    put(api, "c1", attributes={"plan": "team", "seats": None})
    backend = workspace.backend
    pruned = backend.run(
        prune_workspace(
            backend.db, workspace.workspace.workspace_id, datetime.fromisoformat(cutoff)
        )
    )
    assert pruned == 2
    assert as_of(api, "c1", cutoff)["attributes"] == {"plan": "basic", "seats": 2}
    assert as_of(api, "c1", later)["attributes"] == {"plan": "pro", "seats": 2}
    history = api.get("/v1/customers/c1/attributes/plan/history").json()["items"]
    assert [item["value"] for item in history] == ["team", "pro"]


def test_erasure_removes_the_history(workspace: TestWorkspace, api: httpx.Client) -> None:
    gone = put(api, "gone", email="gone@example.com", attributes={"plan": "free"})["profile_id"]
    secondary = put(api, "secondary", attributes={"vip": True})["profile_id"]
    merged = api.post(
        "/v1/customers/merge", json={"primary": {"id": "gone"}, "secondary": {"id": "secondary"}}
    )
    assert merged.status_code == 200, merged.text
    assert entries_of(workspace, gone) == 3
    assert entries_of(workspace, secondary) == 1
    assert api.delete("/v1/customers/gone").status_code == 204
    assert_problem(api.get("/v1/customers/gone", params={"as_of": moment()}), 404)
    assert_problem(api.get("/v1/customers/gone/attributes/plan/history"), 404)
    assert entries_of(workspace, gone) == 0
    assert entries_of(workspace, secondary) == 0
