"""The storage layer's connections, on every backend."""

import asyncio
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from attrium.core.database import Database
from tests.support.backends import BACKEND_NAMES, settings_for

POOL_SIZE = 3
CONCURRENT_READERS = 32


@pytest.mark.parametrize("backend_name", BACKEND_NAMES)
def test_concurrent_requests_share_a_fixed_pool_of_connections(
    backend_name: str, tmp_path: Path
) -> None:
    # Opening a connection per request beyond the pool cost more than the request
    # (docs/benchmarks.md, "SQLite: a fixed pool"): more callers wait, none reconnects.
    db = Database(settings_for(backend_name, tmp_path, database_pool_size=POOL_SIZE))
    opened: list[object] = []

    @event.listens_for(db.engine.sync_engine, "connect")
    def count(dbapi_connection: Any, _record: Any) -> None:
        opened.append(dbapi_connection)

    async def read_while_others_wait() -> int:
        async with db.single_read() as connection:
            await asyncio.sleep(0.01)
            return int((await connection.exec_driver_sql("SELECT 1")).scalar_one())

    async def burst() -> list[int]:
        try:
            return await asyncio.gather(
                *(read_while_others_wait() for _ in range(CONCURRENT_READERS))
            )
        finally:
            await db.dispose()

    assert asyncio.run(burst()) == [1] * CONCURRENT_READERS
    assert len(opened) == POOL_SIZE
