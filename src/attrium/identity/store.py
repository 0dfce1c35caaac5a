"""SQL for suppressions: keyed hashes of the identifiers of suppressed customers."""

from datetime import datetime

from sqlalchemy import Column, ForeignKey, Index, Table, Text, bindparam, delete, select
from sqlalchemy.ext.asyncio import AsyncConnection

from attrium.core import sql
from attrium.core.database import metadata
from attrium.core.types import UtcDateTime

suppressions = Table(
    "suppressions",
    metadata,
    Column(
        "workspace_id",
        Text,
        ForeignKey("workspaces.workspace_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("identifier_hash", Text, primary_key=True),
    Column("suppression_id", Text, nullable=False),
    Column("identifier_kind", Text, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Index("ix_suppressions_suppression", "workspace_id", "suppression_id"),
)


async def insert(
    connection: AsyncConnection,
    workspace_id: str,
    suppression_id: str,
    kinds_by_hash: dict[str, str],
    now: datetime,
) -> None:
    """Block these hashes; one that is already blocked stays in its own suppression."""
    if not kinds_by_hash:
        return
    rows = [
        {
            "workspace_id": workspace_id,
            "identifier_hash": identifier_hash,
            "suppression_id": suppression_id,
            "identifier_kind": kind,
            "created_at": now,
        }
        for identifier_hash, kind in kinds_by_hash.items()
    ]
    await connection.execute(sql.insert(connection, suppressions).on_conflict_do_nothing(), rows)


async def suppression_of(
    connection: AsyncConnection, workspace_id: str, hashes: list[str]
) -> dict[str, str]:
    """The suppression id of each of `hashes` that is blocked."""
    if not hashes:
        return {}
    parameters = {"workspace_id": workspace_id, "hashes": hashes}
    rows = await connection.execute(_SUPPRESSION_OF[sql.backend_of(connection)], parameters)
    return {row.identifier_hash: row.suppression_id for row in rows}


# Built once per backend (every write runs it): building a select() costs more than running it.
_SUPPRESSION_OF = {
    backend: select(suppressions.c.identifier_hash, suppressions.c.suppression_id).where(
        suppressions.c.workspace_id == bindparam("workspace_id"),
        sql.one_of_parameter(backend, suppressions.c.identifier_hash, "hashes"),
    )
    for backend in ("postgresql", "sqlite")
}


async def lift(connection: AsyncConnection, workspace_id: str, suppression_id: str) -> int:
    """Unblock every identifier of one suppression; returns how many there were."""
    result = await connection.execute(
        delete(suppressions).where(
            suppressions.c.workspace_id == workspace_id,
            suppressions.c.suppression_id == suppression_id,
        )
    )
    return int(result.rowcount)
