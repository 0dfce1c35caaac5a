"""Saved segments: CRUD, count, members with cursors, streaming export."""

import csv
import io
from typing import Any

import httpx
import orjson
import pytest

from tests.segments.support import declare, put, where
from tests.support.problems import assert_problem

ADULTS = where("age", "gte", 18)


@pytest.fixture
def crowd(api: httpx.Client) -> httpx.Client:
    declare(api, "plan", "string", default="basic")
    for number in range(7):
        put(api, f"c{number}", attributes={"age": 10 + number * 3, "name": f'Näme, "{number}"'})
    put(api, "c-custom", custom_identifiers={"shop": "s-1"}, attributes={"age": 99})
    return api


def create(api: httpx.Client, name: str, predicate: dict[str, Any]) -> dict[str, Any]:
    answer = api.post("/v1/segments", json={"name": name, "predicate": predicate})
    assert answer.status_code == 201, answer.text
    segment: dict[str, Any] = answer.json()
    return segment


def test_crud(crowd: httpx.Client) -> None:
    segment = create(crowd, "adults", ADULTS)
    assert segment["id"].startswith("seg_")
    assert segment["predicate"] == ADULTS
    assert crowd.get(f"/v1/segments/{segment['id']}").json() == segment
    changed = crowd.patch(
        f"/v1/segments/{segment['id']}", json={"description": "18+", "name": "grown-ups"}
    ).json()
    assert (changed["name"], changed["description"], changed["predicate"]) == (
        "grown-ups",
        "18+",
        ADULTS,
    )
    listed = crowd.get("/v1/segments").json()
    assert [item["id"] for item in listed["items"]] == [segment["id"]]
    assert crowd.delete(f"/v1/segments/{segment['id']}").status_code == 204
    assert_problem(crowd.get(f"/v1/segments/{segment['id']}"), 404)
    assert_problem(crowd.delete(f"/v1/segments/{segment['id']}"), 404)


def test_names_are_unique_and_predicates_checked(crowd: httpx.Client) -> None:
    first = create(crowd, "adults", ADULTS)
    other = create(crowd, "kids", where("age", "lt", 18))
    assert_problem(
        crowd.post("/v1/segments", json={"name": "adults", "predicate": ADULTS}), 409, "name"
    )
    assert_problem(crowd.patch(f"/v1/segments/{other['id']}", json={"name": "adults"}), 409, "name")
    bad = {"name": "x", "predicate": where("ghost", "exists")}
    assert_problem(crowd.post("/v1/segments", json=bad), 422, "predicate.attribute")
    assert_problem(crowd.post("/v1/segments", json={"name": " ", "predicate": ADULTS}), 422, "name")
    patch = {"predicate": where("age", "contains", "1")}
    assert_problem(crowd.patch(f"/v1/segments/{first['id']}", json=patch), 422, "predicate.op")


def test_list_pages_with_cursor(crowd: httpx.Client) -> None:
    made = [create(crowd, f"s{number}", ADULTS)["id"] for number in range(3)]
    first = crowd.get("/v1/segments", params={"limit": 2}).json()
    second = crowd.get("/v1/segments", params={"limit": 2, "cursor": first["next_cursor"]}).json()
    assert [item["id"] for item in first["items"] + second["items"]] == made
    assert second["next_cursor"] is None


def test_count_and_members_pages(crowd: httpx.Client) -> None:
    segment = create(crowd, "adults", ADULTS)
    assert crowd.get(f"/v1/segments/{segment['id']}/count").json() == {"count": 5}
    seen: list[dict[str, Any]] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        page = crowd.get(f"/v1/segments/{segment['id']}/members", params=params).json()
        seen.extend(page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert sorted(item["id"] for item in seen) == ["c-custom", "c3", "c4", "c5", "c6"]
    assert [item["profile_id"] for item in seen] == sorted(item["profile_id"] for item in seen)
    assert all(item["attributes"]["plan"] == "basic" for item in seen)
    custom = next(item for item in seen if item["id"] == "c-custom")
    assert custom["custom_identifiers"] == {"shop": "s-1"}
    bad_cursor = crowd.get(f"/v1/segments/{segment['id']}/members", params={"cursor": "!!"})
    assert_problem(bad_cursor, 422, "cursor")


def test_a_removed_attribute_is_reported_not_ignored(crowd: httpx.Client) -> None:
    crowd.put("/v1/customers/z", json={"attributes": {"temp": 1}})
    segment = create(crowd, "temp", where("temp", "eq", 1))
    assert crowd.delete("/v1/attributes/temp", params={"purge": "true"}).status_code == 204
    answer = crowd.get(f"/v1/segments/{segment['id']}/count")
    assert "temp" in assert_problem(answer, 422, "predicate.attribute")["detail"]


def test_export_ndjson(crowd: httpx.Client) -> None:
    segment = create(crowd, "adults", ADULTS)
    with crowd.stream("GET", f"/v1/segments/{segment['id']}/export") as answer:
        assert answer.status_code == 200
        assert answer.headers["content-type"].startswith("application/x-ndjson")
        lines = [orjson.loads(line) for line in answer.iter_lines() if line]
    assert sorted(line["id"] for line in lines) == ["c-custom", "c3", "c4", "c5", "c6"]
    assert all(line["attributes"]["plan"] == "basic" for line in lines)


def test_export_csv(crowd: httpx.Client) -> None:
    segment = create(crowd, "adults", ADULTS)
    answer = crowd.get(f"/v1/segments/{segment['id']}/export", params={"format": "csv"})
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    by_id = {row["id"]: row for row in rows}
    assert sorted(by_id) == ["c-custom", "c3", "c4", "c5", "c6"]
    assert by_id["c3"]["attributes.name"] == 'Näme, "3"'
    assert by_id["c3"]["attributes.age"] == "19"
    assert by_id["c3"]["attributes.plan"] == "basic"
    assert by_id["c-custom"]["custom_identifiers"] == '{"shop":"s-1"}'


def test_export_errors_come_before_the_stream(crowd: httpx.Client) -> None:
    assert_problem(crowd.get("/v1/segments/seg_missing/export"), 404)
    segment = create(crowd, "adults", ADULTS)
    bad = crowd.get(f"/v1/segments/{segment['id']}/export", params={"format": "xml"})
    assert_problem(bad, 422, "format")


def test_segments_are_per_workspace(crowd: httpx.Client, workspace: Any) -> None:
    from tests.support.workspaces import new_workspace

    segment = create(crowd, "adults", ADULTS)
    with new_workspace(workspace.backend).client() as stranger:
        assert_problem(stranger.get(f"/v1/segments/{segment['id']}"), 404)
        assert_problem(stranger.get(f"/v1/segments/{segment['id']}/count"), 404)


def test_export_reads_in_batches(crowd: httpx.Client, monkeypatch: pytest.MonkeyPatch) -> None:
    from attrium.segments import service

    batches: list[int] = []
    original = service.customers_of

    async def counting(*args: Any) -> Any:
        found = await original(*args)
        batches.append(len(found))
        return found

    monkeypatch.setattr(service, "EXPORT_BATCH_SIZE", 2)
    monkeypatch.setattr(service, "customers_of", counting)
    segment = create(crowd, "adults", ADULTS)
    answer = crowd.get(f"/v1/segments/{segment['id']}/export")
    assert sorted(orjson.loads(line)["id"] for line in answer.text.splitlines()) == [
        "c-custom",
        "c3",
        "c4",
        "c5",
        "c6",
    ]
    assert batches == [2, 2, 1]
