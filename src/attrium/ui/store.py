"""SQL for UI sessions: only a hash of the cookie's secret is stored."""

from datetime import datetime
from typing import Any

from sqlalchemy import Column, ForeignKey, Index, Table, Text, delete, select
from sqlalchemy.ext.asyncio import AsyncConnection

from attrium.core.database import metadata
from attrium.core.types import UtcDateTime

ui_sessions = Table(
    "ui_sessions",
    metadata,
    Column(
        "workspace_id",
        Text,
        ForeignKey("workspaces.workspace_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("session_hash", Text, primary_key=True),
    Column("key_id", Text, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Index("ix_ui_sessions_session_hash", "session_hash", unique=True),
    Index("ix_ui_sessions_expires_at", "expires_at"),
)


async def insert_session(connection: AsyncConnection, **values: Any) -> None:
    await connection.execute(ui_sessions.insert().values(**values))


async def find_live(
    connection: AsyncConnection, session_hash: str, now: datetime
) -> dict[str, Any] | None:
    query = select(ui_sessions).where(
        ui_sessions.c.session_hash == session_hash, ui_sessions.c.expires_at > now
    )
    row = (await connection.execute(query)).first()
    return dict(row._mapping) if row else None


async def delete_session(connection: AsyncConnection, session_hash: str) -> None:
    await connection.execute(delete(ui_sessions).where(ui_sessions.c.session_hash == session_hash))


async def delete_expired(connection: AsyncConnection, now: datetime) -> None:
    await connection.execute(delete(ui_sessions).where(ui_sessions.c.expires_at <= now))
