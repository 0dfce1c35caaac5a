"""SQL for the attribute catalog."""

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    ForeignKey,
    Integer,
    Table,
    Text,
    and_,
    delete,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from attrium.core import sql
from attrium.core.database import metadata
from attrium.core.types import UtcDateTime, json_document
from attrium.workspaces.store import workspaces

attribute_definitions = Table(
    "attribute_definitions",
    metadata,
    Column(
        "workspace_id",
        Text,
        ForeignKey("workspaces.workspace_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("namespace", Text, primary_key=True),
    Column("name", Text, primary_key=True),
    Column("type", Text, nullable=False),
    Column("enum_values", json_document(none_as_null=True), nullable=True),
    Column("default_value", json_document(none_as_null=True), nullable=True),
    Column("description", Text, nullable=True),
    Column("max_length", Integer, nullable=True),
    Column("source", Text, nullable=False),
    Column("declared", Boolean, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("last_api_write_at", UtcDateTime, nullable=True),
)

_definitions = attribute_definitions.c


def _in_namespace(workspace_id: str, namespace: str) -> Any:
    return and_(_definitions.workspace_id == workspace_id, _definitions.namespace == namespace)


async def find(
    connection: AsyncConnection, workspace_id: str, namespace: str, names: Iterable[str]
) -> dict[str, dict[str, Any]]:
    names = list(names)
    if not names:
        return {}
    query = select(attribute_definitions).where(
        _in_namespace(workspace_id, namespace), _definitions.name.in_(names)
    )
    return {row.name: dict(row._mapping) for row in await connection.execute(query)}


async def list_namespace(
    connection: AsyncConnection, workspace_id: str, namespace: str
) -> list[dict[str, Any]]:
    query = (
        select(attribute_definitions)
        .where(_in_namespace(workspace_id, namespace))
        .order_by(_definitions.name)
    )
    return [dict(row._mapping) for row in await connection.execute(query)]


async def namespace_with_version(
    connection: AsyncConnection, workspace_id: str, namespace: str
) -> tuple[int, list[dict[str, Any]]]:
    """The workspace's catalog version and the namespace's definitions, in one snapshot."""
    query = (
        select(workspaces.c.catalog_version, attribute_definitions)
        .select_from(workspaces)
        .outerjoin(
            attribute_definitions,
            and_(
                _definitions.workspace_id == workspaces.c.workspace_id,
                _definitions.namespace == namespace,
            ),
        )
        .where(workspaces.c.workspace_id == workspace_id)
    )
    rows = [dict(row._mapping) for row in await connection.execute(query)]
    version = int(rows[0]["catalog_version"]) if rows else 0
    return version, [row for row in rows if row["name"] is not None]


async def count(
    connection: AsyncConnection, workspace_id: str, namespace: str, source: str | None = None
) -> int:
    condition = _in_namespace(workspace_id, namespace)
    if source is not None:
        condition = and_(condition, _definitions.source == source)
    query = select(func.count()).select_from(attribute_definitions).where(condition)
    return int((await connection.execute(query)).scalar_one())


async def insert_new(connection: AsyncConnection, rows: list[dict[str, Any]]) -> None:
    """Insert definitions, leaving alone any that a concurrent writer inserted first."""
    if rows:
        statement = sql.insert(connection, attribute_definitions).on_conflict_do_nothing()
        await connection.execute(statement, rows)


async def update_definition(
    connection: AsyncConnection, workspace_id: str, namespace: str, name: str, **values: Any
) -> None:
    await connection.execute(
        update(attribute_definitions)
        .where(_in_namespace(workspace_id, namespace), _definitions.name == name)
        .values(**values)
    )


async def touch_api_write(
    connection: AsyncConnection,
    workspace_id: str,
    namespace: str,
    names: list[str],
    now: datetime,
    stale_before: datetime,
) -> None:
    """Record an API write on definitions whose mark is older than `stale_before`.

    The mark is refreshed at most once per period, so that concurrent writers of one
    attribute do not queue on its catalog row.
    """
    await connection.execute(
        update(attribute_definitions)
        .where(
            _in_namespace(workspace_id, namespace),
            _definitions.name.in_(names),
            or_(
                _definitions.last_api_write_at.is_(None),
                _definitions.last_api_write_at < stale_before,
            ),
        )
        .values(last_api_write_at=now)
    )


async def delete_definition(
    connection: AsyncConnection, workspace_id: str, namespace: str, name: str
) -> None:
    await connection.execute(
        delete(attribute_definitions).where(
            _in_namespace(workspace_id, namespace), _definitions.name == name
        )
    )
