"""Every change and every rejected write lands in the activity log."""

import httpx

from tests.support.activity import activity_of
from tests.support.workspaces import TestWorkspace


def test_each_write_is_one_entry_with_its_changes_key_and_source(
    api: httpx.Client, workspace: TestWorkspace
) -> None:
    api.put("/v1/customers/c1", json={"attributes": {"age": 24}})
    api.patch("/v1/customers/c1/attributes", json={"age": 25, "plan": "pro"})
    api.patch("/v1/customers/c1/attributes", json={"plan": None})
    api.patch("/v1/customers/c1/attributes", json={"age": 25})  # changes nothing: no entry
    entries = activity_of(api, "c1")
    assert [(e["type"], e["changes"]) for e in entries] == [
        ("customer_updated", {"attributes": {"plan": {"old": "pro", "new": None}}}),
        (
            "customer_updated",
            {"attributes": {"age": {"old": 24, "new": 25}, "plan": {"old": None, "new": "pro"}}},
        ),
        (
            "customer_created",
            {
                "attributes": {"age": {"old": None, "new": 24}},
                "identifiers": {"id": {"old": None, "new": "c1"}},
            },
        ),
    ]
    assert all(e["key_id"] == workspace.actor.key_id and e["source"] == "api" for e in entries)


def test_identifier_changes_are_in_the_same_entry_as_attribute_changes(api: httpx.Client) -> None:
    api.put("/v1/customers/c1", json={"email": "a@b.co"})
    answer = api.put(
        "/v1/customers/c1", json={"phone": "+14155550100", "attributes": {"plan": "pro"}}
    )
    assert answer.status_code == 200, answer.text
    [latest] = activity_of(api, "c1")[:1]
    assert latest["changes"] == {
        "attributes": {"plan": {"old": None, "new": "pro"}},
        "identifiers": {"phone": {"old": None, "new": "+14155550100"}},
    }


def test_rejected_writes_are_recorded_with_the_reason(api: httpx.Client) -> None:
    api.put("/v1/customers/c1", json={"attributes": {"age": 24}})
    api.patch("/v1/customers/c1/attributes", json={"age": "old"})
    rejected = [entry for entry in activity_of(api, "c1") if entry["type"] == "write_rejected"]
    assert len(rejected) == 1
    assert "type number" in str(rejected[0]["reason"])


def test_history_pages_newest_first(api: httpx.Client) -> None:
    api.put("/v1/customers/c1", json={})
    for number in range(5):
        api.patch("/v1/customers/c1/attributes", json={"n": number})
    first = api.get("/v1/customers/c1/activity", params={"limit": 3}).json()
    second = api.get(
        "/v1/customers/c1/activity", params={"limit": 3, "cursor": first["next_cursor"]}
    ).json()
    values = [
        e["changes"]["attributes"]["n"]["new"]
        for e in first["items"] + second["items"]
        if e["type"] == "customer_updated"
    ]
    assert values == [4, 3, 2, 1, 0]
    assert second["next_cursor"] is None


def test_deleting_a_customer_erases_its_history(
    api: httpx.Client, workspace: TestWorkspace
) -> None:
    from attrium.activity.store import activity

    profile_id = api.put(
        "/v1/customers/c1", json={"email": "a@b.co", "attributes": {"a": 1}}
    ).json()["profile_id"]
    api.delete("/v1/customers/c1")

    async def remaining() -> list[dict[str, object]]:
        async with workspace.backend.db.reader() as connection:
            rows = await connection.execute(
                activity.select().where(activity.c.workspace_id == workspace.workspace.workspace_id)
            )
            return [dict(row._mapping) for row in rows]

    rows = workspace.backend.run(remaining())
    assert not [row for row in rows if row["profile_id"] == profile_id]
    deleted = [row for row in rows if row["type"] == "customer_deleted"]
    assert deleted[0]["details"]["erased_activity_entries"] == 1  # the write that created it
    assert "a@b.co" not in str(rows)


def test_rejected_writes_with_unstorable_text_are_recorded(api: httpx.Client) -> None:
    """PostgreSQL cannot store NUL in text or jsonb; the record replaces it."""
    api.put("/v1/customers/c1", json={})
    for raw in (b'{"a\\u0000b": 1}', b'{"x": "\\u0000"}', b'{"\\u0000": "\\u0000"}'):
        answer = api.patch(
            "/v1/customers/c1/attributes", content=raw, headers={"content-type": "application/json"}
        )
        assert answer.status_code == 422, answer.text
    rejected = [entry for entry in activity_of(api, "c1") if entry["type"] == "write_rejected"]
    assert len(rejected) == 3
    assert "\ufffd" in str(rejected[-1]["details"])
