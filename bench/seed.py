"""Customers written straight into the tables: the people the benchmarks work on."""

import asyncio
import itertools
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from attrium.core.database import Database
from attrium.core.settings import Settings
from attrium.tables import customers

BATCH = 5_000


def seed_customers(
    database_url: str, workspace_id: str, people: Iterable[tuple[str, dict[str, Any]]]
) -> None:
    """Insert customers given as (external id, attributes), in batched transactions."""
    asyncio.run(_seed(database_url, workspace_id, people))


def blank_customers(count: int) -> Iterable[tuple[str, dict[str, Any]]]:
    """Customers `c1` .. `c{count}` with no attributes yet (the upserts' targets)."""
    return ((f"c{number}", {}) for number in range(1, count + 1))


async def _seed(
    database_url: str, workspace_id: str, people: Iterable[tuple[str, dict[str, Any]]]
) -> None:
    db = Database(Settings(database_url=database_url, sqlite_synchronous="NORMAL"))
    now = datetime.now(UTC)
    numbered = enumerate(people, start=1)
    try:
        while batch := list(itertools.islice(numbered, BATCH)):
            rows = [
                {
                    "workspace_id": workspace_id,
                    "profile_id": f"seed{number:012d}",
                    "external_id": external_id,
                    "attributes": attributes,
                    "created_at": now,
                    "updated_at": now,
                }
                for number, (external_id, attributes) in batch
            ]
            async with db.transaction() as connection:
                await connection.execute(customers.insert(), rows)
    finally:
        await db.dispose()
