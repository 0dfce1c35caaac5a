"""Event time (`timestamp`) and write-once (`set_once`) on every write path, both backends."""

import asyncio
from typing import Any

import httpx
import pytest

from tests.support.activity import activity_of
from tests.support.imports import import_rows, ndjson
from tests.support.problems import assert_problem
from tests.support.workspaces import TestWorkspace

NOON = "2024-05-01T12:00:00Z"
EARLIER = "2024-05-01T11:00:00Z"
LATER = "2024-05-01T13:00:00Z"


def attributes_of(api: httpx.Client, ref: str) -> dict[str, Any]:
    answer = api.get(f"/v1/customers/{ref}")
    assert answer.status_code == 200, answer.text
    attributes: dict[str, Any] = answer.json()["attributes"]
    return attributes


def test_an_older_put_leaves_newer_values_and_records_them_as_stale(api: httpx.Client) -> None:
    api.put("/v1/customers/c1", json={"timestamp": NOON, "attributes": {"plan": "pro", "n": 1}})
    late = api.put(
        "/v1/customers/c1", json={"timestamp": EARLIER, "attributes": {"plan": "free", "x": 2}}
    )
    assert late.status_code == 200, late.text
    # Per attribute: `x` had no newer value, so it applies.
    assert late.json()["attributes"] == {"plan": "pro", "n": 1, "x": 2}
    entry = activity_of(api, "c1")[0]
    assert entry["changes"]["attributes"] == {
        "x": {"old": None, "new": 2},
        "plan": {
            "old": "pro",
            "new": "pro",
            "stale": True,
            "sent": "free",
            "at": "2024-05-01T11:00:00.000000Z",
            "current_at": "2024-05-01T12:00:00.000000Z",
        },
    }
    newer = api.put("/v1/customers/c1", json={"timestamp": LATER, "attributes": {"plan": "team"}})
    assert newer.json()["attributes"]["plan"] == "team"


def test_unix_seconds_and_offsets_are_the_same_instant(api: httpx.Client) -> None:
    api.put("/v1/customers/c1", json={"timestamp": 1714564800, "attributes": {"a": "noon"}})
    # 13:00+02:00 is 11:00Z: older than noon.
    api.put(
        "/v1/customers/c1",
        json={"timestamp": "2024-05-01T13:00:00+02:00", "attributes": {"a": "eleven"}},
    )
    assert attributes_of(api, "c1") == {"a": "noon"}


def test_patch_takes_a_timestamp_in_its_query(api: httpx.Client) -> None:
    api.put("/v1/customers/c1", json={"timestamp": NOON, "attributes": {"a": 1}})
    stale = api.patch("/v1/customers/c1/attributes", params={"timestamp": EARLIER}, json={"a": 0})
    assert stale.status_code == 200, stale.text
    assert stale.json() == {"attributes": {"a": 1}}
    seconds = api.patch(
        "/v1/customers/c1/attributes", params={"timestamp": "1714568400"}, json={"a": 2}
    )
    assert seconds.json() == {"attributes": {"a": 2}}  # 13:00Z
    assert_problem(
        api.patch("/v1/customers/c1/attributes", params={"timestamp": "soon"}, json={"a": 3}),
        422,
        "timestamp",
    )
    assert_problem(
        api.patch("/v1/customers/c1/attributes", params={"timestmp": NOON}, json={"a": 3}),
        400,
        "query.timestmp",
    )


def test_removals_keep_their_time(api: httpx.Client) -> None:
    api.put("/v1/customers/c1", json={"timestamp": NOON, "attributes": {"a": 1}})
    api.put("/v1/customers/c1", json={"timestamp": LATER, "attributes": {"a": None}})
    api.put("/v1/customers/c1", json={"timestamp": EARLIER, "attributes": {"a": 5}})
    assert attributes_of(api, "c1") == {}


def test_purging_an_attribute_forgets_its_time(api: httpx.Client) -> None:
    api.put("/v1/customers/c1", json={"timestamp": LATER, "attributes": {"a": 1, "b": 1}})
    assert api.delete("/v1/attributes/a", params={"purge": "true"}).status_code == 204
    api.put("/v1/customers/c1", json={"timestamp": NOON, "attributes": {"a": 2, "b": 2}})
    assert attributes_of(api, "c1") == {"a": 2, "b": 1}


def test_a_write_without_timestamp_applies_as_before(api: httpx.Client) -> None:
    api.put("/v1/customers/c1", json={"timestamp": "2999-01-01T00:00:00Z", "attributes": {"a": 1}})
    api.patch("/v1/customers/c1/attributes", json={"a": 2})
    assert attributes_of(api, "c1") == {"a": 2}
    # It is from now: a backfill from before now leaves it.
    api.put("/v1/customers/c1", json={"timestamp": NOON, "attributes": {"a": 3}})
    assert attributes_of(api, "c1") == {"a": 2}


@pytest.mark.parametrize(
    "timestamp", ["2024-05-01T12:00:00", "yesterday", True, {"at": NOON}, 1e20]
)
def test_a_bad_timestamp_is_refused(api: httpx.Client, timestamp: Any) -> None:
    answer = api.put("/v1/customers/c1", json={"timestamp": timestamp, "attributes": {"a": 1}})
    problem = assert_problem(answer, 422, "timestamp")
    assert "RFC 3339" in problem["detail"]
    assert_problem(api.get("/v1/customers/c1"), 404)


def test_set_once_sets_only_where_no_value_is_held(api: httpx.Client) -> None:
    first = api.put(
        "/v1/customers/c1",
        json={"set_once": {"first_seen": "web", "plan": "free"}, "attributes": {"plan": "pro"}},
    )
    assert first.status_code == 201, first.text
    assert first.json()["attributes"] == {"first_seen": "web", "plan": "pro"}
    again = api.put("/v1/customers/c1", json={"set_once": {"first_seen": "ios", "referrer": "ad"}})
    assert again.json()["attributes"] == {"first_seen": "web", "plan": "pro", "referrer": "ad"}
    assert activity_of(api, "c1")[0]["changes"]["attributes"] == {
        "referrer": {"old": None, "new": "ad"}
    }
    api.patch("/v1/customers/c1/attributes", json={"first_seen": None})
    api.put("/v1/customers/c1", json={"set_once": {"first_seen": "ios"}})
    assert attributes_of(api, "c1")["first_seen"] == "ios"


def test_set_once_values_are_checked_and_may_not_be_null(api: httpx.Client) -> None:
    api.post("/v1/attributes", json={"name": "age", "type": "number"})
    assert_problem(api.put("/v1/customers/c1", json={"set_once": {"a": None}}), 422, "set_once")
    assert_problem(api.put("/v1/customers/c1", json={"set_once": {"age": "old"}}), 422)
    assert_problem(api.get("/v1/customers/c1"), 404)


def test_concurrent_set_once_writes_agree_on_one_value(
    api: httpx.Client, workspace: TestWorkspace
) -> None:
    api.put("/v1/customers/c1", json={})

    async def write_all() -> list[httpx.Response]:
        headers = {"Authorization": f"Bearer {workspace.token}"}
        async with httpx.AsyncClient(
            base_url=workspace.backend.base_url, headers=headers, timeout=60
        ) as client:
            return await asyncio.gather(
                *(
                    client.put("/v1/customers/c1", json={"set_once": {"first": number}})
                    for number in range(24)
                )
            )

    answers = asyncio.run(write_all())
    assert {answer.status_code for answer in answers} == {200}
    winner = attributes_of(api, "c1")["first"]
    assert {answer.json()["attributes"]["first"] for answer in answers} == {winner}
    writes = [
        entry
        for entry in activity_of(api, "c1")
        if "first" in ((entry.get("changes") or {}).get("attributes") or {})
    ]
    assert len(writes) == 1


def test_batch_items_and_import_lines_carry_timestamp_and_set_once(api: httpx.Client) -> None:
    api.put("/v1/customers/c1", json={"timestamp": NOON, "attributes": {"a": 1, "b": 1}})
    batch = api.post(
        "/v1/customers/batch",
        json={
            "customers": [
                {"id": "c1", "timestamp": EARLIER, "attributes": {"a": 0}},
                {"id": "c1", "timestamp": LATER, "attributes": {"b": 2}},
                {"id": "c2", "set_once": {"s": 1}},
                {"id": "c3", "timestamp": "later"},
            ]
        },
    )
    assert [result["status"] for result in batch.json()["results"]] == [200, 200, 201, 422]
    assert attributes_of(api, "c1") == {"a": 1, "b": 2}
    rows = [
        {"id": "c1", "timestamp": 1714561200, "attributes": {"a": -1, "c": 3}},  # 11:00Z
        {"id": "c2", "set_once": {"s": 2, "t": 2}},
    ]
    job = import_rows(api, ndjson(rows))
    assert (job["state"], job["applied"]) == ("done", 2), job
    assert attributes_of(api, "c1") == {"a": 1, "b": 2, "c": 3}
    assert attributes_of(api, "c2") == {"s": 1, "t": 2}


def _merge(api: httpx.Client, primary: str, secondary: str) -> str:
    answer = api.post(
        "/v1/customers/merge", json={"primary": {"id": primary}, "secondary": {"id": secondary}}
    )
    assert answer.status_code == 200, answer.text
    merge_id: str = answer.json()["merge_id"]
    return merge_id


def test_a_merge_keeps_the_time_of_what_the_primary_gains(api: httpx.Client) -> None:
    """The primary gains the secondary's value with its time: an older write to the
    primary leaves it (and so is no conflict for an undo). Undone, the primary holds no
    time for it any more."""
    for ref in ("p1", "p2"):
        api.put(f"/v1/customers/{ref}", json={"attributes": {"n": 1}})
        api.put(f"/v1/customers/s{ref}", json={"timestamp": NOON, "attributes": {"plan": "pro"}})
    merge_id = _merge(api, "p1", "sp1")
    late = api.put("/v1/customers/p1", json={"timestamp": EARLIER, "attributes": {"plan": "free"}})
    assert late.json()["attributes"]["plan"] == "pro"
    # That stale write changed nothing: the undo gives the value back, no conflict.
    undone_stale = api.post(f"/v1/merges/{merge_id}/undo")
    assert undone_stale.json()["conflicts"] == [], undone_stale.text
    assert "plan" not in undone_stale.json()["primary"]["attributes"]
    undone = api.post(f"/v1/merges/{_merge(api, 'p2', 'sp2')}/undo")
    assert undone.status_code == 200, undone.text
    assert undone.json()["conflicts"] == []
    old = api.put("/v1/customers/p2", json={"timestamp": EARLIER, "attributes": {"plan": "free"}})
    assert old.json()["attributes"]["plan"] == "free"
