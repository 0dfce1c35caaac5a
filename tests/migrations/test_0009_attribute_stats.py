"""Migration 0009 fills the catalog's statistics from the customers and the activity log."""

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from sqlalchemy import bindparam, text
from sqlalchemy.ext.asyncio import AsyncConnection

from attrium.attributes import stats
from attrium.attributes.stats import AttributeStats, LastWrite
from attrium.core.database import Database
from attrium.core.migrate import alembic_config
from attrium.core.types import UtcDateTime, json_document
from tests.support.backends import BACKEND_NAMES, drop_schema, settings_for

T0 = datetime(2026, 3, 1, 12, 0, 0, 250_000, tzinfo=UTC)

INSERT_CUSTOMER = text(
    "INSERT INTO customers (workspace_id, profile_id, attributes, created_at, updated_at)"
    " VALUES (:workspace_id, :profile_id, :attributes, :at, :at)"
).bindparams(bindparam("attributes", type_=json_document()), bindparam("at", type_=UtcDateTime))
INSERT_DEFINITION = text(
    "INSERT INTO attribute_definitions (workspace_id, namespace, name, type, source, declared,"
    " created_at, updated_at) VALUES (:workspace_id, :namespace, :name, 'string', 'api', true,"
    " :at, :at)"
).bindparams(bindparam("at", type_=UtcDateTime))
INSERT_ACTIVITY = text(
    "INSERT INTO activity (workspace_id, activity_id, type, attribute, key_id, source, created_at)"
    " VALUES (:workspace_id, :activity_id, :type, :attribute, :key_id, :source, :at)"
).bindparams(bindparam("at", type_=UtcDateTime))


@pytest.fixture(params=BACKEND_NAMES)
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    settings = settings_for(request.param, tmp_path)
    db = Database(settings)
    yield db
    if settings.database_schema:
        drop_schema(settings.database_schema)


async def upgrade(db: Database, target: str) -> None:
    if db.schema:
        async with db.engine.begin() as connection:
            await connection.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{db.schema}"'))
    async with db.transaction() as connection:
        await connection.run_sync(lambda sync: command.upgrade(alembic_config(sync), target))


async def insert_history(connection: AsyncConnection) -> None:
    for workspace_id in ("ws1", "ws2"):
        await connection.execute(
            text(
                "INSERT INTO workspaces (workspace_id, name, settings, hash_key, created_at)"
                " VALUES (:workspace_id, :workspace_id, '{}', 'hash', :at)"
            ).bindparams(bindparam("at", type_=UtcDateTime)),
            {"workspace_id": workspace_id, "at": T0},
        )
    customers: list[tuple[str, dict[str, Any]]] = [
        ("ws1", {"plan": "pro", "age": 3}),
        ("ws1", {"plan": "free"}),
        ("ws1", {}),
        ("ws2", {"plan": "pro"}),
    ]
    await connection.execute(
        INSERT_CUSTOMER,
        [
            {"workspace_id": ws, "profile_id": f"p{n}", "attributes": attributes, "at": T0}
            for n, (ws, attributes) in enumerate(customers)
        ],
    )
    await connection.execute(
        INSERT_DEFINITION,
        [
            {"workspace_id": "ws1", "namespace": namespace, "name": name, "at": T0}
            for namespace, name in [
                ("customer", "plan"),
                ("customer", "age"),
                ("customer", "tier"),
                ("customer", "unused"),
                ("object:shop", "size"),
            ]
        ],
    )
    history = [
        ("a1", "attribute_changed", "plan", "key_1", "api", T0),
        ("a2", "attribute_changed", "plan", "key_2", "import", T0 + timedelta(seconds=5)),
        ("a3", "attribute_definition_changed", "plan", "key_3", "api", T0 + timedelta(hours=1)),
        ("a4", "attribute_changed", "tier", None, "cli", T0 + timedelta(seconds=1)),
        ("a5", "attribute_changed", "age", "key_1", "optimove", T0 + timedelta(seconds=2)),
    ]
    await connection.execute(
        INSERT_ACTIVITY,
        [
            {
                "workspace_id": "ws1",
                "activity_id": activity_id,
                "type": kind,
                "attribute": name,
                "key_id": key_id,
                "source": source,
                "at": at,
            }
            for activity_id, kind, name, key_id, source, at in history
        ],
    )


async def migrate_and_read(db: Database) -> dict[str, dict[str, AttributeStats]]:
    await upgrade(db, "0008")
    async with db.transaction() as connection:
        await insert_history(connection)
    await upgrade(db, "heads")
    async with db.reader() as connection:
        found = {ws: await stats.read(connection, ws) for ws in ("ws1", "ws2")}
    await db.dispose()
    return found


def test_statistics_are_filled_from_existing_data(database: Database) -> None:
    found = asyncio.run(migrate_and_read(database))
    assert found["ws1"] == {
        "plan": AttributeStats(2, LastWrite(T0 + timedelta(seconds=5), "key_2", "import")),
        "age": AttributeStats(1, LastWrite(T0 + timedelta(seconds=2), "key_1", "optimove")),
        "tier": AttributeStats(0, LastWrite(T0 + timedelta(seconds=1), None, "cli")),
        "unused": AttributeStats(0, None),
    }
    assert found["ws2"] == {"plan": AttributeStats(1, None)}
