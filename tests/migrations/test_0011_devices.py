"""Migration 0011_devices: the devices table and the index of event entries, both ways."""

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import text

from attrium.core.database import Database
from attrium.core.migrate import alembic_config
from tests.support.backends import BACKEND_NAMES, drop_schema, settings_for


@pytest.fixture(params=BACKEND_NAMES)
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    settings = settings_for(request.param, tmp_path)
    db = Database(settings)
    yield db
    if settings.database_schema:
        drop_schema(settings.database_schema)


async def _migrate(db: Database, direction: str, target: str) -> None:
    if db.schema:
        async with db.engine.begin() as connection:
            await connection.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{db.schema}"'))
    step = command.upgrade if direction == "up" else command.downgrade
    async with db.transaction() as connection:
        await connection.run_sync(lambda sync: step(alembic_config(sync), target))


async def _tables_and_indexes(db: Database) -> tuple[set[str], set[str]]:
    """Read from the catalogs: SQLAlchemy does not reflect SQLite's expression indexes."""
    if db.backend == "postgresql":
        tables = "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
        indexes = "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()"
    else:
        tables = "SELECT name FROM sqlite_master WHERE type = 'table'"
        indexes = "SELECT name FROM sqlite_master WHERE type = 'index'"
    async with db.reader() as connection:
        found_tables = {row[0] for row in await connection.execute(text(tables))}
        found_indexes = {row[0] for row in await connection.execute(text(indexes))}
    return found_tables, found_indexes


def test_upgrade_downgrade_upgrade(database: Database) -> None:
    async def run() -> None:
        try:
            await _migrate(database, "up", "0011_devices")
            tables, indexes = await _tables_and_indexes(database)
            assert "devices" in tables
            assert "ix_activity_events" in indexes
            await _migrate(database, "down", "0010")
            tables, indexes = await _tables_and_indexes(database)
            assert "devices" not in tables
            assert "ix_activity_events" not in indexes
            await _migrate(database, "up", "0011_devices")
            assert "devices" in (await _tables_and_indexes(database))[0]
        finally:
            await database.dispose()

    asyncio.run(run())
