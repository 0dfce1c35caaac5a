"""The catalog's statistics (holders and last write) after every kind of write, both backends.

The truth they are checked against is the customers themselves, listed through the API.
"""

import random
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any

import httpx

from tests.support.imports import import_rows, ndjson
from tests.support.workspaces import TestWorkspace


def catalog(api: httpx.Client) -> dict[str, dict[str, Any]]:
    answer = api.get("/v1/attributes")
    assert answer.status_code == 200, answer.text
    return {item["name"]: item for item in answer.json()["items"]}


def counts(api: httpx.Client) -> dict[str, int]:
    """Each attribute's customer count, leaving out those nobody holds."""
    return {
        name: item["customer_count"]
        for name, item in catalog(api).items()
        if item["customer_count"]
    }


def written_at(api: httpx.Client, name: str) -> datetime:
    return datetime.fromisoformat(catalog(api)[name]["last_written_at"])


def held(api: httpx.Client) -> dict[str, int]:
    """How many customers hold each attribute, counted from the customers themselves."""
    defaults = {name for name, item in catalog(api).items() if item["default"] is not None}
    holders: Counter[str] = Counter()
    cursor = None
    while True:
        params = {"limit": 1000, **({"cursor": cursor} if cursor else {})}
        page = api.get("/v1/customers", params=params).json()
        for customer in page["items"]:
            holders.update(name for name in customer["attributes"] if name not in defaults)
        cursor = page["next_cursor"]
        if not cursor:
            return dict(holders)


def test_creates_updates_and_removals(api: httpx.Client, workspace: TestWorkspace) -> None:
    api.put("/v1/customers/c1", json={"attributes": {"plan": "pro", "age": 30}})
    api.put("/v1/customers/c2", json={"attributes": {"plan": "free"}})
    assert counts(api) == {"plan": 2, "age": 1}
    api.patch("/v1/customers/c1/attributes", json={"plan": "free", "city": "Paris"})
    assert counts(api) == {"plan": 2, "age": 1, "city": 1}
    api.patch("/v1/customers/c1/attributes", json={"plan": None, "age": None})
    api.delete("/v1/customers/c2/attributes/plan")
    assert counts(api) == {"city": 1} == held(api)
    entry = catalog(api)["plan"]
    assert entry["last_written_by"] == workspace.actor.key_id
    assert entry["last_written_source"] == "api"
    assert entry["last_written_at"] is not None


def test_a_repeated_write_is_no_write(api: httpx.Client) -> None:
    api.put("/v1/customers/c1", json={"attributes": {"plan": "pro"}})
    first = catalog(api)["plan"]
    api.put("/v1/customers/c1", json={"attributes": {"plan": "pro"}})
    api.patch("/v1/customers/c1/attributes", json={"plan": "pro", "absent": None})
    again = catalog(api)
    assert again["plan"]["last_written_at"] == first["last_written_at"]
    assert again["plan"]["customer_count"] == 1
    assert "absent" not in again or again["absent"]["last_written_at"] is None


def test_a_write_updates_the_last_write(workspace: TestWorkspace) -> None:
    with workspace.client() as api:
        api.put("/v1/customers/c1", json={"attributes": {"plan": "pro"}})
        first = written_at(api, "plan")
    other = workspace.key(["attributes:write", "attributes:read"])
    with workspace.client(other) as writer:
        writer.patch("/v1/customers/c1/attributes", json={"plan": "free"})
        entry = catalog(writer)["plan"]
        assert written_at(writer, "plan") >= first
    assert entry["last_written_by"] != workspace.actor.key_id


def test_imports_count_created_and_updated_customers(api: httpx.Client) -> None:
    api.put("/v1/customers/c1", json={"attributes": {"plan": "pro", "age": 3}})
    rows = [
        {"id": "c1", "attributes": {"plan": "free", "age": None}},
        {"id": "c2", "attributes": {"plan": "pro", "age": 4}},
        {"id": "c3", "attributes": {"plan": "pro"}},
        {"id": "c3", "attributes": {"age": 5, "plan": None}},
        {"id": "c4", "attributes": {"age": "not a number"}},
    ]
    job = import_rows(api, ndjson(rows))
    assert (job["applied"], job["rejected"]) == (4, 1), job
    assert counts(api) == {"plan": 2, "age": 2} == held(api)
    assert catalog(api)["age"]["last_written_source"] == "import"


def test_merge_moves_what_the_primary_gains(api: httpx.Client) -> None:
    api.put("/v1/customers/p", json={"attributes": {"plan": "pro"}})
    api.put("/v1/customers/s", json={"attributes": {"plan": "free", "age": 4, "city": "Rome"}})
    before = written_at(api, "age")
    merged = api.post(
        "/v1/customers/merge", json={"primary": {"id": "p"}, "secondary": {"id": "s"}}
    )
    assert merged.status_code == 200, merged.text
    assert counts(api) == {"plan": 1, "age": 1, "city": 1} == held(api)
    assert written_at(api, "age") > before


def test_erasure_and_suppression_remove_holders_not_defaults(api: httpx.Client) -> None:
    api.post("/v1/attributes", json={"name": "tier", "type": "string", "default": "silver"})
    api.put("/v1/customers/c1", json={"attributes": {"plan": "pro"}})
    api.put("/v1/customers/c2", json={"attributes": {"plan": "free", "tier": "gold"}})
    api.put("/v1/customers/c3", json={"attributes": {"plan": "free"}})
    written = catalog(api)["plan"]["last_written_at"]
    assert api.delete("/v1/customers/c1").status_code == 204
    assert api.post("/v1/customers/c2/suppress").status_code == 200
    assert counts(api) == {"plan": 1} == held(api)
    assert catalog(api)["plan"]["last_written_at"] == written


def test_purge_removes_every_holder(api: httpx.Client) -> None:
    for number in range(3):
        api.put(f"/v1/customers/c{number}", json={"attributes": {"plan": "pro", "age": number}})
    assert api.delete("/v1/attributes/plan", params={"purge": "true"}).status_code == 204
    api.post("/v1/attributes", json={"name": "plan", "type": "string"})
    assert counts(api) == {"age": 3} == held(api)


def test_concurrent_writers_end_with_exact_counts(workspace: TestWorkspace) -> None:
    names = ["plan", "age", "city"]
    shared = [f"shared-{number}" for number in range(3)]
    with workspace.client() as api:
        for customer in shared:
            api.put(f"/v1/customers/{customer}", json={"attributes": {"plan": "start"}})

    def write(writer: int) -> None:
        rng = random.Random(writer)
        own = f"own-{writer}"
        with workspace.client() as api:
            api.put(f"/v1/customers/{own}", json={"attributes": {}})
            for _ in range(20):
                customer = rng.choice([*shared, own])
                patch = {name: rng.choice([None, "a", "b"]) for name in rng.sample(names, 2)}
                if rng.random() < 0.3:
                    answer = api.put(f"/v1/customers/{customer}", json={"attributes": patch})
                else:
                    answer = api.patch(f"/v1/customers/{customer}/attributes", json=patch)
                assert answer.status_code in (200, 201), answer.text

    with ThreadPoolExecutor(max_workers=6) as pool:
        list(pool.map(write, range(6)))
    with workspace.client() as api:
        assert counts(api) == held(api)
