"""Who entered and left a segment since a time, judged from the activity log."""

import time
from datetime import UTC, datetime
from typing import Any

import httpx

from tests.segments.support import put, where
from tests.support.problems import assert_problem


def changes(api: httpx.Client, segment_id: str, since: str, **params: Any) -> dict[str, Any]:
    answer = api.get(f"/v1/segments/{segment_id}/changes", params={"since": since, **params})
    assert answer.status_code == 200, answer.text
    found: dict[str, Any] = answer.json()
    return found


def by_change(found: dict[str, Any]) -> dict[str, set[str]]:
    grouped: dict[str, set[str]] = {"entered": set(), "left": set()}
    for item in found["items"]:
        grouped[item["change"]].add(item["id"])
    return grouped


def segment(api: httpx.Client, predicate: dict[str, Any]) -> str:
    answer = api.post("/v1/segments", json={"name": str(predicate), "predicate": predicate})
    assert answer.status_code == 201, answer.text
    segment_id: str = answer.json()["id"]
    return segment_id


def moment() -> str:
    time.sleep(0.01)
    stamp = datetime.now(UTC).isoformat()
    time.sleep(0.01)
    return stamp


def test_entered_and_left_since(api: httpx.Client) -> None:
    put(api, "stays", attributes={"age": 20})
    put(api, "grows", attributes={"age": 10})
    put(api, "shrinks", attributes={"age": 30})
    put(api, "drops", attributes={"age": 40})
    adults = segment(api, where("age", "gte", 18))
    since = moment()
    api.patch("/v1/customers/stays/attributes", json={"age": 21, "plan": "pro"})
    api.patch("/v1/customers/grows/attributes", json={"age": 19})
    api.patch("/v1/customers/shrinks/attributes", json={"age": 12})
    api.patch("/v1/customers/shrinks/attributes", json={"age": 50})
    api.patch("/v1/customers/shrinks/attributes", json={"age": 5})
    api.patch("/v1/customers/drops/attributes", json={"age": None})
    put(api, "newcomer", attributes={"age": 44})
    put(api, "young-newcomer", attributes={"age": 4})
    found = changes(api, adults, since)
    assert by_change(found) == {"entered": {"grows", "newcomer"}, "left": {"shrinks", "drops"}}
    assert found["since"].startswith(since[:19])
    everything = changes(api, adults, "2000-01-01T00:00:00Z")
    assert by_change(everything) == {"entered": {"stays", "grows", "newcomer"}, "left": set()}
    assert changes(api, adults, moment())["items"] == []


def test_identifier_changes_count(api: httpx.Client) -> None:
    with_email = segment(api, {"identifier": "email", "op": "exists"})
    put(api, "keeps", email="keeps@example.com")
    put(api, "loses", email="loses@example.com")
    put(api, "gains")
    since = moment()
    put(api, "loses", email=None)
    put(api, "gains", email="gains@example.com")
    put(api, "keeps", email="keeps2@example.com")
    assert by_change(changes(api, with_email, since)) == {"entered": {"gains"}, "left": {"loses"}}


def test_pages_share_one_as_of(api: httpx.Client) -> None:
    put(api, "old", attributes={"n": -1})
    everyone = segment(api, where("n", "exists"))
    since = moment()
    for number in range(5):
        put(api, f"c{number}", attributes={"n": number})
    first = changes(api, everyone, since, limit=2)
    seen = [item["id"] for item in first["items"]]
    cursor = first["next_cursor"]
    while cursor:
        page = changes(api, everyone, since, limit=2, cursor=cursor)
        assert page["as_of"] == first["as_of"]
        seen.extend(item["id"] for item in page["items"])
        cursor = page["next_cursor"]
    assert sorted(seen) == [f"c{number}" for number in range(5)]


def test_since_rules(api: httpx.Client) -> None:
    put(api, "x", attributes={"n": 1})
    segment_id = segment(api, where("n", "exists"))
    url = f"/v1/segments/{segment_id}/changes"
    assert_problem(api.get(url), 422, "since")
    assert_problem(api.get(url, params={"since": "yesterday"}), 422, "since")
    assert_problem(api.get(url, params={"since": "2999-01-01T00:00:00Z"}), 422, "since")
    assert_problem(api.get(url, params={"since": "2000-01-01", "cursor": "WzFd"}), 422, "cursor")
    assert_problem(api.get("/v1/segments/seg_nope/changes", params={"since": "2000-01-01"}), 404)
