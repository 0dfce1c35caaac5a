"""Segments as of T: preview, count and members judged on customers as they were."""

from typing import Any

import httpx

from tests.history.support import moment, put
from tests.segments.support import declare
from tests.support.problems import assert_problem

ON_PRO = {"attribute": "plan", "op": "eq", "value": "pro"}


def preview(api: httpx.Client, predicate: dict[str, Any], when: str) -> set[str]:
    body = {"predicate": predicate, "sample": 100, "as_of": when}
    answer = api.post("/v1/segments/preview", json=body)
    assert answer.status_code == 200, answer.text
    found = answer.json()
    ids = {customer["id"] for customer in found["sample"]}
    assert found["count"] == len(ids), found
    return ids


def saved(api: httpx.Client, predicate: dict[str, Any]) -> str:
    answer = api.post("/v1/segments", json={"name": "seg", "predicate": predicate})
    assert answer.status_code == 201, answer.text
    segment_id: str = answer.json()["id"]
    return segment_id


def members(api: httpx.Client, segment_id: str, when: str) -> list[str]:
    found: list[str] = []
    cursor = None
    while True:
        params = {"as_of": when, "limit": 1, **({"cursor": cursor} if cursor else {})}
        answer = api.get(f"/v1/segments/{segment_id}/members", params=params)
        assert answer.status_code == 200, answer.text
        page = answer.json()
        found.extend(customer["id"] for customer in page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            return found


def test_who_was_on_plan_pro_then(api: httpx.Client) -> None:
    put(api, "stays", attributes={"plan": "pro"})
    put(api, "leaves", attributes={"plan": "pro"})
    put(api, "joins", attributes={"plan": "free"})
    put(api, "dropped", attributes={"plan": "pro", "age": 3})
    march = moment()
    put(api, "leaves", attributes={"plan": "free"})
    put(api, "joins", attributes={"plan": "pro"})
    api.delete("/v1/customers/dropped/attributes/plan")
    put(api, "newcomer", attributes={"plan": "pro"})

    assert preview(api, ON_PRO, march) == {"stays", "leaves", "dropped"}
    assert preview(api, ON_PRO, moment()) == {"stays", "joins", "newcomer"}
    segment_id = saved(api, ON_PRO)
    count = api.get(f"/v1/segments/{segment_id}/count", params={"as_of": march})
    assert count.json() == {"count": 3}
    assert sorted(members(api, segment_id, march)) == ["dropped", "leaves", "stays"]
    now = api.get(f"/v1/segments/{segment_id}/count").json()
    assert now == {"count": 3}


def test_identifiers_and_absence_as_of(api: httpx.Client) -> None:
    declare(api, "plan", "string")
    put(api, "had", email="had@example.com")
    put(api, "gets")
    then = moment()
    put(api, "had", email=None)
    put(api, "gets", email="gets@example.com")
    with_email = {"identifier": "email", "op": "exists"}
    assert preview(api, with_email, then) == {"had"}
    assert preview(api, {"not": ON_PRO}, then) == {"had", "gets"}


def test_merged_primary_is_judged_on_its_own_past(api: httpx.Client) -> None:
    put(api, "primary", attributes={"plan": "free"})
    put(api, "secondary", attributes={"plan": "basic", "vip": True})
    put(api, "secondary", attributes={"plan": "pro"})
    before = moment()
    merged = api.post(
        "/v1/customers/merge", json={"primary": {"id": "primary"}, "secondary": {"id": "secondary"}}
    )
    assert merged.status_code == 200, merged.text
    after = moment()
    on_free = {"attribute": "plan", "op": "eq", "value": "free"}
    vip = {"attribute": "vip", "op": "exists"}
    assert preview(api, on_free, before) == {"primary"}
    assert preview(api, vip, before) == set()  # the secondary is gone, and not the primary
    assert preview(api, vip, after) == {"primary"}


def test_bad_as_of_names_the_field(api: httpx.Client) -> None:
    declare(api, "plan", "string")
    segment_id = saved(api, ON_PRO)
    bad = "2026-03-01"
    body = {"predicate": ON_PRO, "as_of": bad}
    assert_problem(api.post("/v1/segments/preview", json=body), 422, "as_of")
    url = f"/v1/segments/{segment_id}"
    assert_problem(api.get(f"{url}/count", params={"as_of": bad}), 422, "as_of")
    assert_problem(api.get(f"{url}/members", params={"as_of": "soon"}), 422, "as_of")
