"""SQL for API keys."""

from datetime import datetime
from typing import Any

from sqlalchemy import Column, ColumnElement, ForeignKey, Select, Table, Text, bindparam, select
from sqlalchemy.ext.asyncio import AsyncConnection

from attrium.core.database import metadata
from attrium.core.types import UtcDateTime, json_document
from attrium.workspaces.store import workspaces

api_keys = Table(
    "api_keys",
    metadata,
    Column(
        "workspace_id",
        Text,
        ForeignKey("workspaces.workspace_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("key_id", Text, primary_key=True),
    Column("token_hash", Text, nullable=False, unique=True),
    Column("label", Text, nullable=True),
    Column("scopes", json_document(), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("revoked_at", UtcDateTime, nullable=True),
)


async def insert_key(connection: AsyncConnection, **values: Any) -> None:
    await connection.execute(api_keys.insert().values(**values))


async def find_active_by_hash(
    connection: AsyncConnection, token_hash: str
) -> dict[str, Any] | None:
    """The live key with this hash, joined with its workspace (auth.service caches it)."""
    row = (await connection.execute(_ACTIVE_BY_HASH, {"token_hash": token_hash})).first()
    return dict(row._mapping) if row else None


async def find_active_by_id(
    connection: AsyncConnection, workspace_id: str, key_id: str
) -> dict[str, Any] | None:
    """The live key `key_id` of the workspace, joined with its workspace."""
    return await _find_active(
        connection, (api_keys.c.workspace_id == workspace_id) & (api_keys.c.key_id == key_id)
    )


def _active_keys(condition: ColumnElement[bool]) -> Select[Any]:
    return (
        select(
            api_keys.c.key_id,
            api_keys.c.token_hash,
            api_keys.c.scopes,
            workspaces.c.workspace_id,
            workspaces.c.name,
            workspaces.c.hash_key,
            workspaces.c.settings,
            workspaces.c.catalog_version,
        )
        .join(workspaces, workspaces.c.workspace_id == api_keys.c.workspace_id)
        .where(condition, api_keys.c.revoked_at.is_(None))
    )


# Built once: building a select() costs more CPU than PostgreSQL spends running it.
_ACTIVE_BY_HASH = _active_keys(api_keys.c.token_hash == bindparam("token_hash"))


async def _find_active(
    connection: AsyncConnection, condition: ColumnElement[bool]
) -> dict[str, Any] | None:
    row = (await connection.execute(_active_keys(condition))).first()
    return dict(row._mapping) if row else None


async def list_keys(connection: AsyncConnection, workspace_id: str) -> list[dict[str, Any]]:
    query = (
        select(api_keys)
        .where(api_keys.c.workspace_id == workspace_id)
        .order_by(api_keys.c.created_at, api_keys.c.key_id)
    )
    return [dict(row._mapping) for row in await connection.execute(query)]


async def find_key(
    connection: AsyncConnection, key_id: str, workspace_id: str | None = None
) -> dict[str, Any] | None:
    """The key `key_id`, live or revoked; with `workspace_id`, only a key of that workspace."""
    row = (await connection.execute(select(api_keys).where(_key(key_id, workspace_id)))).first()
    return dict(row._mapping) if row else None


async def mark_revoked(
    connection: AsyncConnection, key_id: str, now: datetime, workspace_id: str
) -> None:
    await connection.execute(
        api_keys.update().where(_key(key_id, workspace_id)).values(revoked_at=now)
    )


def _key(key_id: str, workspace_id: str | None) -> ColumnElement[bool]:
    condition = api_keys.c.key_id == key_id
    if workspace_id is not None:
        condition &= api_keys.c.workspace_id == workspace_id
    return condition
