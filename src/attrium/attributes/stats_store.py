"""SQL for the catalog's statistics: one base row per attribute, and the deltas writes append.

A write transaction only ever inserts delta rows (`attribute_stat_deltas`), so
concurrent writers never wait for each other on a statistic. Readers add the deltas
to the base rows (`attribute_stats`) in one statement; compaction folds deltas into
the base rows in a short transaction of its own.
"""

import functools
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    ForeignKey,
    Select,
    Table,
    Text,
    and_,
    bindparam,
    case,
    cast,
    delete,
    func,
    literal,
    or_,
    select,
    tuple_,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from attrium.core import sql
from attrium.core.database import dump_json, metadata
from attrium.core.types import UtcDateTime


def _workspace_column() -> Column[str]:
    return Column(
        "workspace_id",
        Text,
        ForeignKey("workspaces.workspace_id", ondelete="CASCADE"),
        primary_key=True,
    )


def _last_write_columns() -> list[Column[Any]]:
    return [
        Column("last_written_at", UtcDateTime, nullable=True),
        Column("last_written_by", Text, nullable=True),
        Column("last_written_source", Text, nullable=True),
    ]


attribute_stats = Table(
    "attribute_stats",
    metadata,
    _workspace_column(),
    Column("namespace", Text, primary_key=True),
    Column("name", Text, primary_key=True),
    Column("holders", BigInteger, nullable=False),
    *_last_write_columns(),
)

# One row per attribute a recording touched; `batch_id` is the recording's random id.
# `holders` is a change here (+ gained, - lost); the last write is None when the
# recording only removed holders without writing (erasure, merge, purge).
attribute_stat_deltas = Table(
    "attribute_stat_deltas",
    metadata,
    _workspace_column(),
    Column("batch_id", Text, primary_key=True),
    Column("name", Text, primary_key=True),
    Column("namespace", Text, nullable=False),
    Column("holders", BigInteger, nullable=False),
    *_last_write_columns(),
)

STAT_COLUMNS = ("holders", "last_written_at", "last_written_by", "last_written_source")
_base = attribute_stats.c
_deltas = attribute_stat_deltas.c


async def insert_deltas(connection: AsyncConnection, rows: list[dict[str, Any]]) -> None:
    """Append delta rows: one statement (one round trip), whatever their number."""
    if rows:
        await connection.execute(attribute_stat_deltas.insert(), rows)


_DELTA_TYPES = {"holders": "bigint", "last_written_at": "timestamptz"}


def postgres_insert(parameter: str = "deltas") -> str:
    """PostgreSQL: one INSERT of delta rows given as one JSON document
    (`postgres_parameter`), one statement text whatever their number: a part a batch's
    write statement takes (customers.batch_store.write_batch)."""
    columns = [column.name for column in attribute_stat_deltas.columns]
    types = ", ".join(f"{name} {_DELTA_TYPES.get(name, 'text')}" for name in columns)
    return f"""
    INSERT INTO attribute_stat_deltas ({", ".join(columns)})
    SELECT * FROM json_to_recordset(CAST(:{parameter} AS json)) AS d({types})
    """


def postgres_parameter(rows: list[dict[str, Any]]) -> str:
    """The JSON document `postgres_insert` takes."""
    return dump_json(rows)


async def namespace_stats(
    connection: AsyncConnection, workspace_id: str, namespace: str
) -> list[dict[str, Any]]:
    """Each attribute's base row plus its deltas: holders summed, the newest last write."""
    parameters = {"workspace_id": workspace_id, "namespace": namespace}
    rows = await connection.execute(_namespace_query(), parameters)
    return [dict(row._mapping) for row in rows]


@functools.cache
def _namespace_query() -> Select[Any]:
    """Built once: building a select() costs more than running this one on a small table."""
    in_namespace: dict[str, Any] = {
        "workspace_id": bindparam("workspace_id"),
        "namespace": bindparam("namespace"),
    }
    stat_columns = [_base.holders, _base.last_written_at, _base.last_written_by]
    base = select(
        _base.name, *stat_columns, _base.last_written_source, literal("", Text).label("batch_id")
    ).where(*(_base[column] == value for column, value in in_namespace.items()))
    deltas = select(
        _deltas.name,
        _deltas.holders,
        _deltas.last_written_at,
        _deltas.last_written_by,
        _deltas.last_written_source,
        _deltas.batch_id,
    ).where(*(_deltas[column] == value for column, value in in_namespace.items()))
    rows = union_all(base, deltas).subquery("rows")
    newest_first = (
        case((rows.c.last_written_at.is_(None), 1), else_=0),
        rows.c.last_written_at.desc(),
        rows.c.batch_id.desc(),
    )
    ranked = select(
        rows.c.name,
        # sum(bigint) is numeric on PostgreSQL: back to an integer.
        cast(func.sum(rows.c.holders).over(partition_by=rows.c.name), BigInteger).label("holders"),
        rows.c.last_written_at,
        rows.c.last_written_by,
        rows.c.last_written_source,
        func.row_number().over(partition_by=rows.c.name, order_by=newest_first).label("rank"),
    ).subquery("ranked")
    return select(ranked.c.name, *(ranked.c[column] for column in STAT_COLUMNS)).where(
        ranked.c.rank == 1
    )


async def take_deltas(connection: AsyncConnection, limit: int) -> list[dict[str, Any]]:
    """Delete up to `limit` delta rows of any workspace and return them.

    Rows another compaction holds are skipped (PostgreSQL), and a row is returned by
    the one transaction that deleted it, so concurrent compactions fold disjoint rows.
    """
    chosen = (
        select(_deltas.workspace_id, _deltas.batch_id, _deltas.name)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    statement = (
        delete(attribute_stat_deltas)
        .where(tuple_(_deltas.workspace_id, _deltas.batch_id, _deltas.name).in_(chosen))
        .returning(*attribute_stat_deltas.c)
    )
    return [dict(row._mapping) for row in await connection.execute(statement)]


async def add_to_base(connection: AsyncConnection, rows: list[dict[str, Any]]) -> None:
    """Add folded deltas to the base rows (creating those missing), in key order.

    Key order: two compactions adding to the same rows lock them in the same order.
    """
    if not rows:
        return
    statement = sql.insert(connection, attribute_stats)
    added = statement.excluded
    newer = and_(
        added.last_written_at.is_not(None),
        or_(_base.last_written_at.is_(None), added.last_written_at >= _base.last_written_at),
    )
    statement = statement.on_conflict_do_update(
        index_elements=[_base.workspace_id, _base.namespace, _base.name],
        set_={
            "holders": _base.holders + added.holders,
            **{
                column: case((newer, added[column]), else_=_base[column])
                for column in STAT_COLUMNS[1:]
            },
        },
    )
    ordered = sorted(rows, key=lambda row: (row["workspace_id"], row["namespace"], row["name"]))
    await connection.execute(statement, ordered)
