"""The storage layer's connections, on every backend."""

import asyncio
import time
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from sqlalchemy import event, make_url

from attrium.core import problems
from attrium.core.database import Database
from tests.support.backends import BACKEND_NAMES, ensure_postgres, postgres_url, settings_for

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


def test_too_many_clients_is_reported_as_such(tmp_path: Path) -> None:
    """PostgreSQL refusing a connection for want of slots is a 503 that says so, not an
    unexplained outage: a role limited to no connection refuses like a full server."""
    ensure_postgres()
    role = f"full_{time.monotonic_ns() % 10**9}"
    url = make_url(postgres_url()).set(username=role).render_as_string(hide_password=False)
    settings = settings_for("postgresql", tmp_path).model_copy(update={"database_url": url})

    async def as_admin(statement: str) -> None:
        connection = await asyncpg.connect(postgres_url())
        try:
            await connection.execute(statement)
        finally:
            await connection.close()

    async def refused_read() -> Exception:
        db = Database(settings)
        try:
            async with db.single_read() as connection:
                await connection.exec_driver_sql("SELECT 1")
        except Exception as error:  # noqa: BLE001 - the error is what is examined
            return error
        finally:
            await db.dispose()
        raise AssertionError("the connection was not refused")

    asyncio.run(as_admin(f"CREATE ROLE {role} LOGIN CONNECTION LIMIT 0"))
    try:
        error = asyncio.run(refused_read())
    finally:
        asyncio.run(as_admin(f"DROP ROLE {role}"))
    assert problems.is_transient_database_error(error)
    answer = problems.database_error_answer(error, "GET", "/v1/customers")
    assert answer.status_code == 503
    assert b"too many clients" in bytes(answer.body)
