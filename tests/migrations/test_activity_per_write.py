"""Migration 0010: a log of one row per attribute becomes one entry per write."""

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest
from alembic import command
from sqlalchemy import select, text

from attrium.activity import store
from attrium.core.database import Database
from attrium.core.migrate import alembic_config
from tests.support.backends import BACKEND_NAMES, drop_schema, settings_for

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
KEY = "key_1"

# (activity id, profile, type, attribute, old, new, details, created_at): the old format.
OLD_ROWS: list[tuple[str, str | None, str, str | None, Any, Any, Any, datetime]] = [
    # one create: the customer and two attributes
    ("01A", "P1", "customer_created", None, None, None, {"identifiers": {"id": "c1"}}, T0),
    ("01B", "P1", "attribute_changed", "age", None, 24, None, T0),
    ("01C", "P1", "attribute_changed", "plan", None, "pro", None, T0),
    # one update: an attribute and an identifier
    ("02A", "P1", "attribute_changed", "age", 24, 25, None, T0 + timedelta(seconds=1)),
    (
        "02B",
        "P1",
        "identifier_changed",
        None,
        None,
        "a@b.co",
        {"identifier": "email"},
        T0 + timedelta(seconds=1),
    ),
    # a conflict stays as it is
    (
        "03A",
        "P1",
        "attribute_update_failure",
        None,
        None,
        None,
        {"identifier": "phone"},
        T0 + timedelta(seconds=2),
    ),
    # a merge with what the primary gained
    (
        "04A",
        "P1",
        "customer_merged",
        None,
        None,
        None,
        {"secondary_profile_id": "P2"},
        T0 + timedelta(seconds=3),
    ),
    (
        "04B",
        "P1",
        "attribute_changed",
        "tier",
        None,
        "gold",
        {"merged_from": "P2"},
        T0 + timedelta(seconds=3),
    ),
    # a catalog entry and a subscription change keep their columns
    ("05A", None, "attribute_defined", "age", None, None, {"type": "number"}, T0),
    ("06A", "P1", "subscription_changed", None, False, True, {"topic_id": "t"}, T0),
]


@pytest.fixture(params=BACKEND_NAMES)
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    settings = settings_for(request.param, tmp_path)
    yield Database(settings)
    if settings.database_schema:
        drop_schema(settings.database_schema)


async def _upgrade(db: Database, revision: str) -> None:
    if db.schema:
        async with db.engine.begin() as connection:
            await connection.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{db.schema}"'))
    async with db.transaction() as connection:
        await connection.run_sync(lambda sync: command.upgrade(alembic_config(sync), revision))


async def _insert_old_rows(db: Database) -> None:
    async with db.transaction() as connection:
        await connection.execute(
            text(
                "INSERT INTO workspaces (workspace_id, name, settings, hash_key, created_at) "
                "VALUES ('w', 'w', '{}', 'k', :now)"
            ),
            {"now": T0 if not db.is_sqlite else T0.replace(tzinfo=None)},
        )
        for activity_id, profile, kind, attribute, old, new, details, at in OLD_ROWS:
            await connection.execute(
                text(
                    "INSERT INTO activity (workspace_id, activity_id, profile_id, type, "
                    "attribute, old_value, new_value, details, key_id, source, created_at) "
                    "VALUES ('w', :id, :profile, :type, :attribute, "
                    f"{_json(db, ':old')}, {_json(db, ':new')}, {_json(db, ':details')}, "
                    ":key, 'api', :at)"
                ),
                {
                    "id": activity_id,
                    "profile": profile,
                    "type": kind,
                    "attribute": attribute,
                    "old": None if old is None else orjson.dumps(old).decode(),
                    "new": None if new is None else orjson.dumps(new).decode(),
                    "details": None if details is None else orjson.dumps(details).decode(),
                    "key": KEY,
                    "at": at if not db.is_sqlite else at.replace(tzinfo=None),
                },
            )


def _json(db: Database, parameter: str) -> str:
    return parameter if db.is_sqlite else f"CAST({parameter} AS jsonb)"


async def _entries(db: Database, attribute: str | None = None) -> dict[str, dict[str, Any]]:
    async with db.reader() as connection:
        query = select(store.activity).where(store.activity.c.workspace_id == "w")
        if attribute is not None:
            query = query.where(store.concerns(connection, "w", attribute))
        rows = await connection.execute(query)
        return {row.activity_id: dict(row._mapping) for row in rows}


async def _migrated(db: Database) -> list[dict[str, dict[str, Any]]]:
    """Every entry after the migration, then those about `age`, then about `tier`."""
    await _upgrade(db, "0008")
    await _insert_old_rows(db)
    await _upgrade(db, "heads")
    found = [await _entries(db), await _entries(db, "age"), await _entries(db, "tier")]
    await db.dispose()
    return found


def test_each_write_becomes_one_entry_with_its_changes(database: Database) -> None:
    entries, about_age, about_tier = asyncio.run(_migrated(database))
    assert sorted(entries) == ["01A", "02A", "03A", "04A", "05A", "06A"]
    created, updated, merged = entries["01A"], entries["02A"], entries["04A"]
    assert created["type"] == "customer_created"
    assert created["changes"] == {
        "attributes": {"age": {"old": None, "new": 24}, "plan": {"old": None, "new": "pro"}},
        "identifiers": {"id": {"old": None, "new": "c1"}},
    }
    assert sorted(created["attributes"]) == ["age", "plan"]
    assert updated["type"] == "customer_updated"
    assert updated["changes"] == {
        "attributes": {"age": {"old": 24, "new": 25}},
        "identifiers": {"email": {"old": None, "new": "a@b.co"}},
    }
    assert (updated["key_id"], updated["source"]) == (KEY, "api")
    assert merged["type"] == "customer_merged"
    assert merged["changes"] == {"attributes": {"tier": {"old": None, "new": "gold"}}}
    assert merged["details"] == {"secondary_profile_id": "P2"}
    assert entries["03A"]["type"] == "attribute_update_failure"
    assert entries["05A"]["attributes"] == ["age"]
    assert (entries["06A"]["old_value"], entries["06A"]["new_value"]) == (False, True)
    assert sorted(about_age) == ["01A", "02A", "05A"]
    assert sorted(about_tier) == ["04A"]
