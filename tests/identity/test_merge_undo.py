"""POST /v1/merges/{merge_id}/undo: the secondary comes back, the primary gives back
what the merge moved onto it and keeps what was written to it since."""

import asyncio
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import asyncpg
import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from attrium.identity import merge_store
from tests.support.backends import LiveBackend, postgres_url
from tests.support.problems import assert_problem
from tests.support.workspaces import TestWorkspace, new_workspace


def merge(api: httpx.Client, primary: str, secondary: str) -> dict[str, Any]:
    answer = api.post(
        "/v1/customers/merge", json={"primary": {"id": primary}, "secondary": {"id": secondary}}
    )
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def undo(api: httpx.Client, merge_id: str) -> httpx.Response:
    return api.post(f"/v1/merges/{merge_id}/undo")


def profile(api: httpx.Client, ref: str) -> dict[str, Any]:
    """Everything of a customer: its row, side rows and history."""
    customer = api.get(f"/v1/customers/{ref}")
    assert customer.status_code == 200, customer.text
    history = api.get(f"/v1/customers/{ref}/activity", params={"limit": 1000}).json()["items"]
    return {
        "customer": customer.json(),
        "subscriptions": api.get(f"/v1/customers/{ref}/subscriptions").json(),
        "relationships": api.get(f"/v1/customers/{ref}/relationships").json()["items"],
        "devices": api.get(f"/v1/customers/{ref}/devices").json(),
        "activity": [entry["id"] for entry in history],
    }


def assert_restored(before: dict[str, Any], after: dict[str, Any]) -> None:
    """All as it was, and its history too, but for the merge's and the undo's entries
    on top (newest first)."""
    assert {k: v for k, v in after.items() if k != "activity"} == {
        k: v for k, v in before.items() if k != "activity"
    }
    extra = len(after["activity"]) - len(before["activity"])
    assert extra in (1, 2)  # the undo's entry; on the primary, the merge's too
    assert after["activity"][extra:] == before["activity"]


def furnish(api: httpx.Client) -> None:
    """A sign-up source, a topic and an object type, for side rows."""
    api.post("/v1/signup-sources", json={"name": "SMS", "channel": "TEXT", "type": "MARKETING"})
    api.post("/v1/object-types", json={"name": "Companies"})
    api.post("/v1/topics", json={"name": "News"})


def give_side_rows(api: httpx.Client, ref: str, object_id: str, device_id: str) -> None:
    """A topic preference, a relationship, a device, an event; a TEXT subscription if
    the customer has a phone."""
    has_phone = api.get(f"/v1/customers/{ref}").json()["phone"] is not None
    opt_in = {"channel": "TEXT", "type": "MARKETING", "signup_source_id": "1"}
    answer = api.put(
        f"/v1/customers/{ref}/subscriptions",
        json={"subscriptions": [opt_in] if has_phone else [], "topics": {"topic_1": True}},
    )
    assert answer.status_code == 200, answer.text
    relate = {"add": [{"object_type_id": "1", "object_id": object_id, "attributes": {"r": ref}}]}
    assert api.patch(f"/v1/customers/{ref}/relationships", json=relate).status_code == 200
    device = {"platform": "ios", "attributes": {"app_version": ref}}
    added = api.put(f"/v1/customers/{ref}/devices/{device_id}", json=device)
    assert added.status_code in (200, 201), added.text
    event = {"name": "purchase", "data": {"by": ref}}
    assert api.post(f"/v1/customers/{ref}/events", json=event).status_code == 201


def test_undo_restores_both_customers_exactly(api: httpx.Client) -> None:
    furnish(api)
    api.put("/v1/customers/p", json={"email": "p@example.com", "attributes": {"plan": "pro"}})
    api.put(
        "/v1/customers/s",
        json={
            "email": "s@example.com",
            "phone": "+19148440001",
            "custom_identifiers": {"crm": "9"},
            "attributes": {"plan": "free", "city": "Porto"},
        },
    )
    give_side_rows(api, "s", "acme", "d1")
    give_side_rows(api, "p", "other", "d2")
    primary, secondary = profile(api, "p"), profile(api, "s")
    merged = merge(api, "p", "s")
    assert merged["merge_id"]
    answer = undo(api, merged["merge_id"])
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["conflicts"] == []
    assert body["secondary"]["profile_id"] == secondary["customer"]["profile_id"]
    assert body["returned_rows"]["activity"] == len(secondary["activity"])
    after_primary, after_secondary = profile(api, "p"), profile(api, "s")
    assert_restored(primary, after_primary)
    assert_restored(secondary, after_secondary)
    history = api.get("/v1/customers/s/activity", params={"limit": 5}).json()["items"]
    assert history[0]["type"] == "customer_merge_undone"
    merged_entry = [
        entry
        for entry in api.get("/v1/customers/p/activity", params={"limit": 100}).json()["items"]
        if entry["type"] == "customer_merged"
    ]
    assert merged_entry[0]["details"]["merge_id"] == merged["merge_id"]
    assert_problem(undo(api, merged["merge_id"]), 409, "merge_id")


def test_later_writes_to_the_primary_stay_and_are_listed(api: httpx.Client) -> None:
    api.put("/v1/customers/p", json={"attributes": {"plan": "pro"}})
    api.put(
        "/v1/customers/s",
        json={"email": "s@example.com", "attributes": {"city": "Porto", "age": 3, "zip": "1"}},
    )
    merged = merge(api, "p", "s")
    api.put(
        "/v1/customers/p",
        json={"email": "new@example.com", "attributes": {"city": "Lisbon", "zip": None}},
    )
    answer = undo(api, merged["merge_id"])
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert sorted((c["kind"], c["name"], c["reason"]) for c in body["conflicts"]) == [
        ("attribute", "city", "changed_since_merge"),
        ("attribute", "zip", "removed_since_merge"),
        ("identifier", "email", "changed_since_merge"),
    ]
    assert body["primary"]["attributes"] == {"plan": "pro", "city": "Lisbon"}
    assert body["primary"]["email"] == "new@example.com"
    assert body["secondary"]["attributes"] == {"city": "Porto", "age": 3, "zip": "1"}
    assert body["secondary"]["email"] == "s@example.com"


def test_an_identifier_taken_since_stays_with_its_holder(api: httpx.Client) -> None:
    api.put("/v1/customers/p", json={"email": "p@example.com"})
    api.put("/v1/customers/s", json={"email": "s@example.com"})
    merged = merge(api, "p", "s")  # the primary keeps its email: the secondary's is free
    api.put("/v1/customers/x", json={"email": "s@example.com"})
    body = undo(api, merged["merge_id"]).json()
    assert body["conflicts"] == [
        {"kind": "identifier", "name": "email", "reason": "held_by_another_customer"}
    ]
    assert body["secondary"]["email"] is None
    assert body["secondary"]["id"] == "s"


def stored_merge(workspace: TestWorkspace, merge_id: str) -> dict[str, Any] | None:
    async def read() -> dict[str, Any] | None:
        async with workspace.backend.db.reader() as connection:
            return await merge_store.read_merge(connection, workspace.actor.workspace_id, merge_id)

    return workspace.backend.run(read())


def test_a_moved_row_changed_since_stays_on_the_primary(api: httpx.Client) -> None:
    api.put("/v1/customers/p", json={})
    api.put("/v1/customers/s", json={})
    api.put("/v1/customers/s/devices/d1", json={"platform": "ios", "attributes": {"v": 1}})
    api.put("/v1/customers/s/devices/d2", json={"platform": "ios"})
    merged = merge(api, "p", "s")
    api.put("/v1/customers/p/devices/d1", json={"platform": "android", "attributes": {"v": 2}})
    body = undo(api, merged["merge_id"]).json()
    assert body["conflicts"] == [{"kind": "devices", "name": "d1", "reason": "changed_since_merge"}]
    assert body["returned_rows"]["devices"] == 1
    for ref in ("p", "s"):
        [entry] = api.get(f"/v1/customers/{ref}/activity", params={"limit": 1}).json()["items"]
        assert entry["type"] == "customer_merge_undone"
        assert entry["details"]["conflicts"] == body["conflicts"]
    assert [
        (d["id"], d["platform"]) for d in api.get("/v1/customers/p/devices").json()["items"]
    ] == [("d1", "android")]
    assert [
        (d["id"], d["platform"]) for d in api.get("/v1/customers/s/devices").json()["items"]
    ] == [
        ("d1", "ios"),
        ("d2", "ios"),
    ]


def test_undo_is_refused_after_an_erasure_which_drops_the_snapshot(
    api: httpx.Client, workspace: TestWorkspace
) -> None:
    api.put("/v1/customers/p", json={})
    api.put("/v1/customers/s", json={"attributes": {"secret": "x"}})
    merged = merge(api, "p", "s")
    assert (stored_merge(workspace, merged["merge_id"]) or {})["snapshot"] is not None
    assert api.delete("/v1/customers/p").status_code == 204
    problem = assert_problem(undo(api, merged["merge_id"]), 409, "merge_id")
    assert problem["reason"] == "erased"
    assert "erased" in problem["detail"]
    stored = stored_merge(workspace, merged["merge_id"]) or {}
    assert (stored["state"], stored["snapshot"]) == ("erased", None)


def test_undo_is_refused_after_a_suppression(api: httpx.Client) -> None:
    api.put("/v1/customers/p", json={"email": "p@example.com"})
    api.put("/v1/customers/s", json={})
    merged = merge(api, "p", "s")
    assert api.post("/v1/customers/p/suppress").status_code == 200
    assert assert_problem(undo(api, merged["merge_id"]), 409)["reason"] == "erased"


def test_undo_is_refused_after_a_second_merge(api: httpx.Client) -> None:
    for ref in ("p", "s", "t"):
        api.put(f"/v1/customers/{ref}", json={})
    first = merge(api, "p", "s")
    second = merge(api, "p", "t")
    problem = assert_problem(undo(api, first["merge_id"]), 409, "merge_id")
    assert problem["reason"] == "merged_again"
    assert undo(api, second["merge_id"]).status_code == 200
    api.put("/v1/customers/q", json={})
    third = merge(api, "p", "t")  # t is back: merge it again, then p into q
    merge(api, "q", "p")
    assert assert_problem(undo(api, third["merge_id"]), 409)["reason"] == "merged_again"
    states = [item["state"] for item in api.get("/v1/customers/q/merges").json()["items"]]
    assert states == ["open"]


def test_unknown_merges_and_scopes(api: httpx.Client, workspace: Any) -> None:
    assert_problem(undo(api, "01NOSUCHMERGE"), 404)
    with workspace.client(workspace.key(["attributes:read"])) as reader:
        assert_problem(undo(reader, "01NOSUCHMERGE"), 403)


EXAMPLES = settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
# One type per name: the catalog keeps an attribute's type.
attribute_maps = st.builds(
    lambda numbers, texts: {**numbers, **texts},
    st.dictionaries(st.sampled_from(["a", "b"]), st.integers(-5, 5), max_size=2),
    st.dictionaries(st.sampled_from(["c", "d"]), st.text("xyz", min_size=1, max_size=3)),
)
bodies = st.fixed_dictionaries(
    {"attributes": attribute_maps},
    optional={
        "email": st.sampled_from(["e0@example.com", "e1@example.com"]),
        "phone": st.sampled_from(["+19148440000", "+19148440001"]),
        "custom_identifiers": st.dictionaries(
            st.sampled_from(["crm", "erp"]), st.sampled_from(["1", "2"]), max_size=2
        ),
    },
)


@given(primary=bodies, secondary=bodies, side_rows=st.booleans())
@EXAMPLES
def test_merge_then_undo_restores_both_profiles(
    backend: LiveBackend, primary: dict[str, Any], secondary: dict[str, Any], side_rows: bool
) -> None:
    with new_workspace(backend).client() as api:
        furnish(api)
        assert api.put("/v1/customers/p", json=primary).status_code == 201
        created = api.put("/v1/customers/s", json=secondary)
        if created.status_code != 201:  # an identifier the primary holds: skip
            return
        if side_rows:
            give_side_rows(api, "s", "acme", "d1")
        before = profile(api, "p"), profile(api, "s")
        undone = undo(api, merge(api, "p", "s")["merge_id"])
        assert undone.status_code == 200, undone.text
        assert undone.json()["conflicts"] == []
        after = profile(api, "p"), profile(api, "s")
        for old, new in zip(before, after, strict=True):
            assert_restored(old, new)


def test_an_identifier_taken_during_the_undo_is_a_conflict_not_an_error(
    workspace: TestWorkspace,
) -> None:
    """A customer given the secondary's email while the undo runs (committed after the
    undo found it free) leaves the email with its holder, as when taken before."""
    if workspace.backend.name != "postgresql":
        pytest.skip("SQLite has one writer: a write cannot commit inside the undo")
    api = workspace.client()
    api.put("/v1/customers/p", json={"email": "p@example.com"})
    api.put("/v1/customers/s", json={"email": "s@example.com"})
    merged = merge(api, "p", "s")
    settings = workspace.backend.settings

    async def taking() -> asyncpg.Connection:
        connection = await asyncpg.connect(postgres_url())
        await connection.execute(f'SET search_path TO "{settings.database_schema}"')
        await connection.execute("BEGIN")
        await connection.execute(
            "INSERT INTO customers (workspace_id, profile_id, external_id, email, attributes,"
            " created_at, updated_at) VALUES ($1, 'racer', 'racer', 's@example.com', '{}',"
            " now(), now())",
            workspace.actor.workspace_id,
        )
        return connection

    async def commit(connection: asyncpg.Connection) -> None:
        await connection.execute("COMMIT")
        await connection.close()

    loop = asyncio.new_event_loop()
    try:
        racer = loop.run_until_complete(taking())
        with ThreadPoolExecutor(1) as pool:
            answer = pool.submit(undo, api, merged["merge_id"])
            time.sleep(1)  # the undo waits on the racer's uncommitted email (or has not begun)
            loop.run_until_complete(commit(racer))
            body = answer.result(timeout=60)
    finally:
        loop.close()
    assert body.status_code == 200, body.text
    assert body.json()["secondary"]["email"] is None
    assert {"kind": "identifier", "name": "email", "reason": "held_by_another_customer"} in (
        body.json()["conflicts"]
    )
