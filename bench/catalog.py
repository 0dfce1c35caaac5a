"""Catalog read: `GET /v1/attributes` on a workspace of many customers (target: 300 ms).

The customers are seeded straight into the tables, with their attribute statistics
recorded as the write path records them (one delta per attribute) and compacted, so
that the read finds what a server that had imported them would find.
"""

import asyncio
import statistics
import time
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import Any

from attrium.attributes import stats, stats_store
from attrium.attributes.models import CUSTOMER_NAMESPACE
from attrium.attributes.stats import LastWrite, StatChanges
from attrium.core.database import Database
from attrium.core.settings import Settings
from bench import dataset
from bench.config import BenchConfig
from bench.seed import seed_customers
from bench.server import ResourceSampler, Server, create_workspace

TARGET_MS = 300.0
DECLARED_ONLY = 5  # attributes defined but held by nobody, as real catalogs have


def attrium_catalog(config: BenchConfig, server: Server, database_url: str) -> dict[str, Any]:
    workspace_id, token = create_workspace(server.env, "bench-catalog")
    headers = {"Authorization": f"Bearer {token}"}
    with server.client() as client:
        client.headers.update(headers)
        for name, attribute_type in _definitions().items():
            client.post("/v1/attributes", json={"name": name, "type": attribute_type})
    seed(database_url, workspace_id, config.catalog_customers)
    return _timed_reads(server, headers, config)


def _definitions() -> dict[str, str]:
    declared = {f"declared_{number}": "string" for number in range(DECLARED_ONLY)}
    return {**dataset.ATTRIBUTE_TYPES, **declared}


def seed(database_url: str, workspace_id: str, count: int) -> None:
    """`count` customers of the data set, and their statistics."""
    changes = StatChanges()
    people = ((dataset.external_id(n), values) for n, values in dataset.rows(count))
    seed_customers(database_url, workspace_id, _tallied(people, changes))
    asyncio.run(_record(database_url, workspace_id, changes))


def _tallied(
    people: Iterable[tuple[str, dict[str, Any]]], changes: StatChanges
) -> Iterator[tuple[str, dict[str, Any]]]:
    for external_id, attributes in people:
        changes.add_created(attributes)
        yield external_id, attributes


async def _record(database_url: str, workspace_id: str, changes: StatChanges) -> None:
    db = Database(Settings(database_url=database_url))
    try:
        last_write = LastWrite(datetime.now(UTC), None, "bench-seed")
        rows = stats.delta_rows(workspace_id, CUSTOMER_NAMESPACE, changes, last_write)
        async with db.transaction() as connection:
            await stats_store.insert_deltas(connection, rows)
        await stats.compact(db)
    finally:
        await db.dispose()


def _timed_reads(server: Server, headers: dict[str, str], config: BenchConfig) -> dict[str, Any]:
    assert server.process is not None
    timings = []
    with server.client() as client:
        client.headers.update(headers)
        answer = client.get("/v1/attributes").raise_for_status()  # warms the caches
        with ResourceSampler(server.process.pid) as sampler:
            for _ in range(config.catalog_repeats):
                started = time.monotonic()
                answer = client.get("/v1/attributes").raise_for_status()
                timings.append(time.monotonic() - started)
    items = answer.json()["items"]
    measured_at = datetime.now(UTC).isoformat(timespec="seconds")
    median_ms = round(statistics.median(timings) * 1000, 2)
    return {
        "median_ms": median_ms,
        "min_ms": round(min(timings) * 1000, 2),
        "max_ms": round(max(timings) * 1000, 2),
        "target_ms": TARGET_MS,
        "met": median_ms <= TARGET_MS,
        "customers": config.catalog_customers,
        "attributes": len(items),
        "largest_count": max(item["customer_count"] for item in items),
        "repeats": len(timings),
        "server_cpu_ms_per_request": round(sampler.cpu_used * 1000 / len(timings), 2),
        "load_average_1min": sampler.summary()["load_average_1min"],
        "measured_at": measured_at,
        "command": f"GET /v1/attributes ({len(items)} attributes), {len(timings)} times",
    }
