"""SQL for saved Liquid templates."""

from typing import Any

from sqlalchemy import (
    Column,
    ForeignKey,
    Table,
    Text,
    UniqueConstraint,
    and_,
    delete,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from attrium.core.database import metadata
from attrium.core.types import UtcDateTime

templates = Table(
    "templates",
    metadata,
    Column(
        "workspace_id",
        Text,
        ForeignKey("workspaces.workspace_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("template_id", Text, primary_key=True),
    Column("name", Text, nullable=False),
    Column("description", Text, nullable=True),
    Column("body", Text, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    UniqueConstraint("workspace_id", "name"),
)


def _template_key(workspace_id: str, template_id: str) -> Any:
    return and_(templates.c.workspace_id == workspace_id, templates.c.template_id == template_id)


async def insert_template(connection: AsyncConnection, row: dict[str, Any]) -> None:
    await connection.execute(templates.insert().values(**row))


async def read_template(
    connection: AsyncConnection, workspace_id: str, template_id: str
) -> dict[str, Any] | None:
    query = select(templates).where(_template_key(workspace_id, template_id))
    row = (await connection.execute(query)).first()
    return dict(row._mapping) if row else None


async def template_page(
    connection: AsyncConnection, workspace_id: str, after_template_id: str | None, limit: int
) -> list[dict[str, Any]]:
    query = select(templates).where(templates.c.workspace_id == workspace_id)
    if after_template_id is not None:
        query = query.where(templates.c.template_id > after_template_id)
    query = query.order_by(templates.c.template_id).limit(limit)
    return [dict(row._mapping) for row in await connection.execute(query)]


async def update_template(
    connection: AsyncConnection, workspace_id: str, template_id: str, values: dict[str, Any]
) -> None:
    await connection.execute(
        update(templates).where(_template_key(workspace_id, template_id)).values(**values)
    )


async def delete_template(connection: AsyncConnection, workspace_id: str, template_id: str) -> bool:
    result = await connection.execute(
        delete(templates).where(_template_key(workspace_id, template_id))
    )
    return bool(result.rowcount)
