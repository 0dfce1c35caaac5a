"""Migration 0014: on SQLite, deleting an activity entry seeks its side-table rows.

The 0010 trigger found them by workspace and activity id, a prefix its primary key
(workspace, attribute, activity id) cannot seek past the workspace: each deleted
entry scanned the workspace's side rows, so an erasure grew with the workspace.
"""

import asyncio
import re
import sqlite3
from pathlib import Path

import pytest

from attrium.core.database import Database
from attrium.core.migrate import migrate
from attrium.core.settings import Settings


@pytest.fixture
def database(tmp_path: Path) -> sqlite3.Connection:
    path = tmp_path / "side.db"

    async def migrated() -> None:
        db = Database(Settings(database_url=f"sqlite:///{path}"))
        try:
            await migrate(db)
        finally:
            await db.dispose()

    asyncio.run(migrated())
    return sqlite3.connect(path)


def _insert_entry(connection: sqlite3.Connection, activity_id: str, names: str) -> None:
    connection.execute(
        "INSERT INTO activity (workspace_id, activity_id, type, source, attributes, created_at)"
        " VALUES ('ws', ?, 'customer_updated', 'api', ?, '2026-12-07T00:00:00+00:00')",
        (activity_id, names),
    )


def test_deleting_an_entry_removes_exactly_its_side_rows(database: sqlite3.Connection) -> None:
    _insert_entry(database, "A1", '["age", "plan"]')
    _insert_entry(database, "A2", '["age"]')
    database.execute("DELETE FROM activity WHERE activity_id = 'A1'")
    rows = database.execute("SELECT attribute, activity_id FROM activity_attributes").fetchall()
    assert rows == [("age", "A2")]


def test_the_delete_trigger_seeks_by_the_whole_primary_key(database: sqlite3.Connection) -> None:
    [body] = database.execute(
        "SELECT sql FROM sqlite_master WHERE name = 'activity_attributes_deleted'"
    ).fetchone()
    statement = re.search(r"DELETE FROM activity_attributes.*?;", body, re.S)
    assert statement is not None
    # The trigger's statement on its own, OLD's columns as parameters.
    standalone = re.sub(r"OLD\.(\w+)", r":\1", statement.group(0))
    plan = " ".join(
        row[3]
        for row in database.execute(
            f"EXPLAIN QUERY PLAN {standalone}",
            {"workspace_id": "ws", "attributes": '["age"]', "activity_id": "A1"},
        )
    )
    assert "activity_attributes USING PRIMARY KEY" in plan
    assert "attribute=? AND activity_id=?" in plan, plan
