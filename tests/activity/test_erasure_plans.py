"""Erasing a customer's entries seeks indexes, on both backends.

The entries of one customer, and the refused writes that named one of its
identifiers, were found by one OR of the two: PostgreSQL read every entry of the
workspace through the primary key for it (250 ms at 50,000 entries, twice per
erasure), and SQLite too, combining no indexes.
"""

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import event, insert, text
from sqlalchemy.ext.asyncio import AsyncConnection

from attrium.activity import store
from tests.support.backends import LiveBackend

WORKSPACE = "ws_erasure_plans"


def _erasure_statements(backend: LiveBackend) -> list[tuple[str, Any]]:
    seen: list[tuple[str, Any]] = []

    def keep(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        seen.append((statement, parameters))

    async def erase() -> None:
        engine = backend.db.engine.sync_engine
        event.listen(engine, "before_cursor_execute", keep)
        try:
            async with backend.db.transaction() as connection:
                await store.erase_customer(
                    connection, WORKSPACE, "01PROFILE", ["email:a@example.com"]
                )
                raise _RollBack
        except _RollBack:
            pass
        finally:
            event.remove(engine, "before_cursor_execute", keep)

    backend.run(erase())
    return [(sql, parameters) for sql, parameters in seen if "activity" in sql]


class _RollBack(Exception):
    pass


async def _plan(connection: AsyncConnection, statement: str, parameters: Any) -> str:
    raw = await connection.get_raw_connection()
    driver: Any = raw.driver_connection
    if connection.dialect.name == "postgresql":
        await connection.execute(text("SET LOCAL enable_seqscan = off"))
        rows = await driver.fetch(f"EXPLAIN {statement}", *parameters)
        return "\n".join(row[0] for row in rows)
    cursor = await driver.execute(f"EXPLAIN QUERY PLAN {statement}", parameters)
    return "\n".join(str(row[3]) for row in await cursor.fetchall())


async def _seed_entries(backend: LiveBackend) -> None:
    """Enough entries in the workspace that reading all of it is never the cheaper plan."""
    rows = [
        {
            "workspace_id": WORKSPACE,
            "activity_id": f"01SEED{n:05d}",
            "profile_id": f"P{n}",
            "customer_ref": f"id:c{n}" if n % 10 == 0 else None,
            "type": "customer_updated",
            "source": "api",
            "created_at": datetime.now(UTC),
        }
        for n in range(2000)
    ]
    async with backend.db.transaction() as connection:
        await connection.execute(insert(store.activity), rows)
    async with backend.db.transaction() as connection:
        await connection.execute(
            text("ANALYZE activity" if backend.name == "postgresql" else "ANALYZE")
        )


def test_each_erasure_statement_seeks_the_customer_or_its_refs(backend: LiveBackend) -> None:
    backend.run(_seed_entries(backend))
    statements = _erasure_statements(backend)
    assert len(statements) == 4  # count and delete, by profile then by the refs named

    async def plans() -> list[str]:
        async with backend.db.transaction() as connection:
            return [await _plan(connection, sql, parameters) for sql, parameters in statements]

    for plan, (sql, _) in zip(backend.run(plans()), statements, strict=True):
        column = "customer_ref" if "customer_ref" in sql else "profile_id"
        index = "ix_activity_customer_ref" if column == "customer_ref" else "ix_activity_profile"
        assert index in plan, (sql, plan)
        assert column in plan, (sql, plan)  # sought, not filtered after the workspace's read
