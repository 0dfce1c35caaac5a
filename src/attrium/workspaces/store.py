"""SQL for workspaces."""

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Column, Table, Text, bindparam, func, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from attrium.core.database import Database, after_commit, metadata
from attrium.core.types import UtcDateTime, json_document

workspaces = Table(
    "workspaces",
    metadata,
    Column("workspace_id", Text, primary_key=True),
    Column("name", Text, nullable=False, unique=True),
    Column("settings", json_document(), nullable=False),
    Column("hash_key", Text, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("catalog_version", BigInteger, nullable=False, server_default="0"),
)


async def insert_workspace(
    connection: AsyncConnection, workspace_id: str, name: str, hash_key: str, now: datetime
) -> None:
    await connection.execute(
        insert(workspaces).values(
            workspace_id=workspace_id, name=name, settings={}, hash_key=hash_key, created_at=now
        )
    )


async def find_by_name(connection: AsyncConnection, name: str) -> dict[str, Any] | None:
    row = (await connection.execute(select(workspaces).where(workspaces.c.name == name))).first()
    return dict(row._mapping) if row else None


async def find_by_id(connection: AsyncConnection, workspace_id: str) -> dict[str, Any] | None:
    query = select(workspaces).where(workspaces.c.workspace_id == workspace_id)
    row = (await connection.execute(query)).first()
    return dict(row._mapping) if row else None


async def lock(connection: AsyncConnection, workspace_id: str) -> None:
    """Serialise the writers of one workspace (PostgreSQL; SQLite has one writer anyway).

    FOR NO KEY UPDATE, not FOR UPDATE: every insert that references the workspace
    (customers, activity) takes FOR KEY SHARE on its row, which FOR UPDATE would
    conflict with, deadlocking a writer that inserted before it locked.
    """
    query = select(workspaces.c.workspace_id).where(workspaces.c.workspace_id == workspace_id)
    await connection.execute(query.with_for_update(key_share=True))


# Built once, as the statements every request runs are (see auth.store).
_BUMP = (
    workspaces.update()
    .where(workspaces.c.workspace_id == bindparam("bumped_workspace_id"))
    .values(catalog_version=workspaces.c.catalog_version + 1)
    .returning(workspaces.c.catalog_version)
)
_ALL_VERSIONS = select(workspaces.c.workspace_id, workspaces.c.catalog_version)


async def bump_catalog_version(connection: AsyncConnection, workspace_id: str) -> None:
    """Mark the workspace's catalog, settings or keys as changed by this transaction.

    What this process keeps in memory about the workspace (core.invalidation) is
    dropped here once the transaction commits, and in other processes at their next
    poll of `all_versions`. Takes the same row lock as `lock`, so call it before
    writing any definition (the workspace row first, then catalog and customer rows,
    as every writer does).
    """
    result = await connection.execute(_BUMP, {"bumped_workspace_id": workspace_id})
    version = result.scalar_one_or_none()
    if version is not None:
        after_commit(lambda db: _committed(db, workspace_id, version))


def _committed(db: Database, workspace_id: str, version: int) -> None:
    db.versions.observe(workspace_id, version)


async def all_versions(connection: AsyncConnection) -> dict[str, int]:
    """Every workspace's catalog version (what each process polls, see core.invalidation)."""
    rows = await connection.execute(_ALL_VERSIONS)
    return {workspace_id: version for workspace_id, version in rows}


async def count(connection: AsyncConnection) -> int:
    return int(
        (await connection.execute(select(func.count()).select_from(workspaces))).scalar_one()
    )


async def list_all(connection: AsyncConnection) -> list[dict[str, Any]]:
    rows = await connection.execute(select(workspaces).order_by(workspaces.c.created_at))
    return [dict(row._mapping) for row in rows]


async def update_settings(
    connection: AsyncConnection, workspace_id: str, settings: dict[str, Any]
) -> None:
    await connection.execute(
        workspaces.update()
        .where(workspaces.c.workspace_id == workspace_id)
        .values(settings=settings)
    )
