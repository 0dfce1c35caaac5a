"""Segment counts as of 30 days ago against the current count (issue 20).

The workspace holds `asof_customers` customers created 90 days ago, each with
`asof_changes` changes on average spread over the last 60 days: activity entries
whose before/after values chain back from the customer's current attributes, as the
write pipeline records them. Both counts go through `POST /v1/segments/preview`.
"""

import asyncio
import itertools
import random
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from attrium.activity import store as activity_store
from attrium.core.database import Database
from attrium.core.ids import ulid_floor
from attrium.core.settings import Settings
from attrium.customers.store import customers
from attrium.history import snapshots
from bench import dataset
from bench.config import BenchConfig
from bench.seed import seed_customers
from bench.segments import _summary
from bench.server import Server

CREATED_DAYS_AGO = 90
CHANGES_OVER_DAYS = 60
AS_OF_DAYS_AGO = 30
_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def seed(config: BenchConfig, database_url: str, workspace_id: str) -> int:
    """Customers and their history; how many entries were written."""
    count = config.asof_customers
    people = ((dataset.external_id(n), values) for n, values in dataset.rows(count))
    seed_customers(database_url, workspace_id, people)
    return asyncio.run(_seed_history(config, database_url, workspace_id))


async def _seed_history(config: BenchConfig, database_url: str, workspace_id: str) -> int:
    db = Database(Settings(database_url=database_url, sqlite_synchronous="NORMAL"))
    now = datetime.now(UTC)
    written = 0
    try:
        async with db.transaction() as connection:
            await connection.execute(
                customers.update()
                .where(customers.c.workspace_id == workspace_id)
                .values(created_at=now - timedelta(days=CREATED_DAYS_AGO))
            )
        records = _records(config, workspace_id, now)
        while batch := list(itertools.islice(records, 20_000)):
            async with db.transaction() as connection:
                await activity_store.insert_entries(connection, batch)
            written += len(batch)
    finally:
        await db.dispose()
    return written


def _records(config: BenchConfig, workspace_id: str, now: datetime) -> Iterator[tuple[Any, ...]]:
    rng = random.Random(20)
    serial = itertools.count()
    names = list(dataset.ATTRIBUTE_TYPES)
    span = CHANGES_OVER_DAYS * 86_400
    for number, current in dataset.rows(config.asof_customers):
        profile_id = f"seed{number:012d}"
        state = dict(current)
        changes = rng.randint(0, 2 * config.asof_changes)
        moments = sorted(now - timedelta(seconds=rng.random() * span) for _ in range(changes))
        for moment in reversed(moments):  # newest first: each "old" is the one before
            name = rng.choice(names)
            old = dataset.attributes(rng)[name]
            pair = {"old": old, "new": state[name]}
            state[name] = old
            entry_id = _entry_id(moment, next(serial))
            yield _record(workspace_id, profile_id, entry_id, moment, name, pair)


def _entry_id(moment: datetime, serial: int) -> str:
    """A ULID of `moment` (its time prefix), unique by `serial`."""
    suffix = "".join(_ALPHABET[(serial >> shift) & 31] for shift in range(75, -1, -5))
    return ulid_floor(moment)[:10] + suffix


def _record(
    workspace_id: str,
    profile_id: str,
    entry_id: str,
    moment: datetime,
    name: str,
    pair: dict[str, Any],
) -> tuple[Any, ...]:
    values = {
        "workspace_id": workspace_id,
        "activity_id": entry_id,
        "profile_id": profile_id,
        "type": "customer_updated",
        "source": "api",
        "created_at": moment,
        "changes": {"attributes": {name: pair}},
        "attributes": [name],
    }
    return tuple(values.get(column) for column in activity_store.COLUMN_NAMES)


def counts(
    server: Server, token: str, repeats: int, database_url: str, workspace_id: str
) -> dict[str, Any]:
    """The segment's count now and as of 30 days ago, timed alike: walking back from
    now, then from a snapshot a day after that instant (the worst case of daily ones)."""
    as_of = datetime.now(UTC) - timedelta(days=AS_OF_DAYS_AGO)
    now_body = {"predicate": dataset.SEGMENT_PREDICATE, "sample": 0}
    then_body = {**now_body, "as_of": as_of.isoformat()}
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=server.base_url, headers=headers, timeout=3600) as client:
        current = _timed(client, now_body, repeats)
        past = _timed(client, then_body, repeats)
        started = time.monotonic()
        asyncio.run(_snapshot(database_url, workspace_id, as_of + timedelta(days=1)))
        snapshot_seconds = round(time.monotonic() - started, 1)
        from_snapshot = _timed(client, then_body, repeats)
    return {
        "now": current,
        "as_of_30_days": past,
        "ratio": _ratio(past, current),
        "as_of_30_days_from_snapshot": from_snapshot,
        "snapshot_ratio": _ratio(from_snapshot, current),
        "snapshot_seconds": snapshot_seconds,
    }


def _ratio(slow: dict[str, Any], fast: dict[str, Any]) -> float:
    return round(slow["median_ms"] / fast["median_ms"], 1) if fast["median_ms"] else 0.0


async def _snapshot(database_url: str, workspace_id: str, at: datetime) -> None:
    db = Database(Settings(database_url=database_url))
    try:
        async with db.transaction() as connection:
            await snapshots.take(connection, workspace_id, at)
    finally:
        await db.dispose()


def _timed(client: httpx.Client, body: dict[str, Any], repeats: int) -> dict[str, Any]:
    timings = []
    count = None
    for attempt in range(repeats + 1):
        started = time.monotonic()
        answer = client.post("/v1/segments/preview", json=body).raise_for_status()
        if attempt:  # the first run warms caches
            timings.append(time.monotonic() - started)
        count = answer.json()["count"]
    return _summary(timings, count, "POST /v1/segments/preview " + str(body))
