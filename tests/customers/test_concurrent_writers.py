"""Two server processes on one PostgreSQL, 64 concurrent writers on the same customers.

Each writer owns one attribute and writes it onto shared customers (a lost update
would drop another writer's attribute), races the others for the last free places
in the catalog (the limit must hold), and claims e-mail addresses that every other
writer claims too (an identifier must end up on one customer only).
"""

import asyncio
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.processes import Deployment, deployment

WRITERS = 64
ROUNDS = 3
HOT_CUSTOMERS = 4
FREE_PLACES = 10
MAX_ATTRIBUTES = WRITERS + FREE_PLACES


@dataclass
class Acknowledged:
    slots: dict[str, dict[str, str]] = field(default_factory=dict)  # customer -> name -> value
    extras: set[str] = field(default_factory=set)
    statuses: Counter[int] = field(default_factory=Counter)


@pytest.fixture
def shared_postgres(tmp_path: Path) -> Iterator[Deployment]:
    target = deployment("postgresql", tmp_path, database_pool_size="8")
    yield target
    target.close()


def test_64_writers_on_two_processes_lose_nothing(shared_postgres: Deployment) -> None:
    token = shared_postgres.provision()
    servers = [shared_postgres.start(), shared_postgres.start()]
    headers = {"Authorization": f"Bearer {token}"}
    prepare(servers[0].base_url, headers)
    acknowledged = asyncio.run(run_writers([server.base_url for server in servers], headers))
    print(f"answers by status: {dict(acknowledged.statuses)}")
    assert not [status for status in acknowledged.statuses if status >= 500]
    with httpx.Client(base_url=servers[1].base_url, headers=headers, timeout=30) as client:
        customers = {
            item["id"]: item for item in client.get("/v1/customers?limit=1000").json()["items"]
        }
        catalog = client.get("/v1/attributes").json()["items"]
    check_no_lost_attribute(customers, acknowledged)
    check_limit(catalog, acknowledged)
    check_identifiers_unique(customers)
    check_catalog_counts(customers, catalog)


def prepare(base_url: str, headers: dict[str, str]) -> None:
    with httpx.Client(base_url=base_url, headers=headers, timeout=30) as client:
        limit = client.patch("/v1/workspace/settings", json={"max_attributes": MAX_ATTRIBUTES})
        assert limit.status_code == 200, limit.text
        slots = {slot(writer): "start" for writer in range(WRITERS)}
        for number in range(HOT_CUSTOMERS):
            created = client.put(f"/v1/customers/hot-{number}", json={"attributes": slots})
            assert created.status_code == 201, created.text


def slot(writer: int) -> str:
    return f"slot_{writer}"


async def run_writers(base_urls: list[str], headers: dict[str, str]) -> Acknowledged:
    acknowledged = Acknowledged()
    # A fresh connection per request: a pooled one can be closed by the server's
    # keep-alive timeout just as a slow (loaded) client reuses it.
    limits = httpx.Limits(max_connections=WRITERS, max_keepalive_connections=0)
    async with httpx.AsyncClient(headers=headers, timeout=60, limits=limits) as client:
        await asyncio.gather(
            *(
                write(client, base_urls[writer % len(base_urls)], writer, acknowledged)
                for writer in range(WRITERS)
            )
        )
    return acknowledged


async def write(
    client: httpx.AsyncClient, base_url: str, writer: int, acknowledged: Acknowledged
) -> None:
    for round_number in range(ROUNDS):
        customer = f"hot-{(writer + round_number) % HOT_CUSTOMERS}"
        value = f"w{writer}-r{round_number}"
        answer = await client.patch(
            f"{base_url}/v1/customers/{customer}/attributes", json={slot(writer): value}
        )
        acknowledged.statuses[answer.status_code] += 1
        if answer.status_code == 200:
            acknowledged.slots.setdefault(customer, {})[slot(writer)] = value
        extra = f"extra_{writer}_{round_number}"
        answer = await client.patch(
            f"{base_url}/v1/customers/{customer}/attributes", json={extra: round_number}
        )
        acknowledged.statuses[answer.status_code] += 1
        if answer.status_code == 200:
            acknowledged.extras.add(extra)
        else:
            assert answer.status_code == 422, answer.text
        answer = await client.put(
            f"{base_url}/v1/customers/claim-{writer}",
            json={"email": f"contested-{round_number}@example.com"},
        )
        acknowledged.statuses[answer.status_code] += 1
        assert answer.status_code in (200, 201, 409), answer.text


def check_no_lost_attribute(
    customers: dict[str, dict[str, Any]], acknowledged: Acknowledged
) -> None:
    for customer, written in acknowledged.slots.items():
        attributes = customers[customer]["attributes"]
        lost = {name: value for name, value in written.items() if attributes.get(name) != value}
        assert not lost, f"{customer} lost acknowledged writes: {lost}"
    for extra in acknowledged.extras:
        assert any(extra in customer["attributes"] for customer in customers.values()), extra


def check_limit(catalog: list[dict[str, Any]], acknowledged: Acknowledged) -> None:
    assert len(catalog) <= MAX_ATTRIBUTES, len(catalog)
    assert len(acknowledged.extras) <= FREE_PLACES, acknowledged.extras
    assert acknowledged.extras, "no writer got a free place at all"


def check_identifiers_unique(customers: dict[str, dict[str, Any]]) -> None:
    holders = Counter(customer["email"] for customer in customers.values() if customer["email"])
    assert holders, "no writer got any contested e-mail"
    assert max(holders.values()) == 1, holders.most_common(3)


def check_catalog_counts(
    customers: dict[str, dict[str, Any]], catalog: list[dict[str, Any]]
) -> None:
    """The catalog's statistics, kept by both processes' writes, match the customers."""
    holders = Counter(name for customer in customers.values() for name in customer["attributes"])
    counted = {item["name"]: item["customer_count"] for item in catalog if item["customer_count"]}
    assert counted == dict(holders)
