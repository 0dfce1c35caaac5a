"""SQL expressions that differ between SQLite and PostgreSQL."""

from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    Boolean,
    ColumnElement,
    Table,
    Text,
    any_,
    bindparam,
    cast,
    exists,
    func,
    literal,
    null,
    select,
    type_coerce,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.types import JSON

from attrium.core.database import dump_json


def backend_of(connection: AsyncConnection) -> str:
    return connection.dialect.name


def insert(connection: AsyncConnection, table: Table) -> Any:
    """An INSERT that supports ON CONFLICT on the connection's backend."""
    if backend_of(connection) == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def one_of(connection: AsyncConnection, column: Any, values: Sequence[str]) -> ColumnElement[bool]:
    """`column IN values`, for lists of up to thousands of text values (a batch's lookups).

    On PostgreSQL the values go as one array parameter: an IN list of one parameter per
    value gets a cached plan that scans the whole table and compares each row with
    every parameter, so a batch's lookup grew with the table; `= ANY(array)` keeps to
    the index.
    """
    if backend_of(connection) == "postgresql":
        array = bindparam(None, list(values), type_=postgresql.ARRAY(Text))
        return column == any_(array)  # type: ignore[no-any-return]
    return column.in_(values)  # type: ignore[no-any-return]


def one_of_parameter(backend: str, column: Any, name: str) -> ColumnElement[bool]:
    """`one_of` with the values as the bound parameter `name`, for a statement built once."""
    if backend == "postgresql":
        array = bindparam(name, type_=postgresql.ARRAY(Text))
        return column == any_(array)  # type: ignore[no-any-return]
    return column.in_(bindparam(name, expanding=True))  # type: ignore[no-any-return]


def json_merge(
    connection: AsyncConnection, column: Any, patch: dict[str, Any]
) -> ColumnElement[Any]:
    """`column` with `patch` merged in, keys whose value is None removed.

    The merge is shallow: an object value replaces the key's object whole. SQLite's
    `json_patch` (RFC 7396) would merge it into the old object, so the keys of object
    values are removed first.
    """
    if backend_of(connection) == "postgresql":
        return func.jsonb_strip_nulls(column.op("||")(cast(literal(dump_json(patch)), JSONB)))
    replaced = {name: None for name, value in patch.items() if isinstance(value, dict)}
    if replaced:
        column = func.json_patch(column, dump_json(replaced))
    return type_coerce(func.json_patch(column, dump_json(patch)), JSON)


def json_object_agg(backend: str, key: Any, value: Any) -> ColumnElement[Any]:
    """An aggregate building a JSON object of `key: value` (NULL or {} over no rows)."""
    if backend == "postgresql":
        return type_coerce(func.json_object_agg(key, value), JSON)
    return type_coerce(func.json_group_object(key, value), JSON)


def json_merge_bound(connection: AsyncConnection, column: Any, name: str) -> ColumnElement[Any]:
    """`json_merge` with the patch as the JSON text of the bound parameter `name` (executemany)."""
    return json_merge_parameter(backend_of(connection), column, name)


def json_merge_parameter(backend: str, column: Any, name: str) -> ColumnElement[Any]:
    """`json_merge_bound` for a statement built once per backend, before any connection."""
    patch = bindparam(name, type_=Text)
    if backend == "postgresql":
        return func.jsonb_strip_nulls(column.op("||")(cast(patch, JSONB)))
    return type_coerce(sqlite_shallow_patch(column, patch), JSON)


def sqlite_shallow_patch(document: Any, patch: Any) -> ColumnElement[Any]:
    """SQLite's `json_patch` made shallow: the patch's object values replace the old
    objects whole instead of merging into them (they are removed first)."""
    pairs = func.json_each(patch).table_valued("key", "type").alias("patched")
    replaced = (
        select(func.json_group_object(pairs.c.key, null()))
        .where(pairs.c.type == "object")
        .scalar_subquery()
    )
    return func.json_patch(func.json_patch(document, replaced), patch, type_=Text)


_JSON_ESCAPED = frozenset(['"', "\\", *map(chr, range(0x20))])


def sqlite_json_path(key: str) -> str | None:
    """A SQLite JSON path to one top-level key; None when the key cannot be quoted in one.

    SQLite matches a path's quoted label against a key's text as stored, escapes and
    all, so a key that JSON escapes (a quote, a backslash, a control character) is
    found by `json_each`, which unescapes, instead.
    """
    if any(character in _JSON_ESCAPED for character in key):
        return None
    return f'$."{key}"'


def json_has_key(connection: AsyncConnection, column: Any, key: str) -> ColumnElement[bool]:
    """Whether the JSON object in `column` has `key`."""
    if backend_of(connection) == "postgresql":
        return column.op("?", return_type=Boolean)(literal(key, Text))  # type: ignore[no-any-return]
    path = sqlite_json_path(key)
    if path is not None:
        return func.json_type(column, path).is_not(None)
    entries = func.json_each(column).table_valued("key").alias("entries")
    return exists().where(entries.c.key == key)


async def copy_records(
    connection: AsyncConnection,
    table: Table,
    columns: Sequence[str],
    records: list[tuple[Any, ...]],
) -> None:
    """Insert records with PostgreSQL's COPY, in the connection's transaction.

    Many times faster than a multi-row INSERT for thousands of rows. Records hold
    values as the driver's COPY takes them (JSON documents as their text). Only for
    tables whose rows cannot collide (a unique violation would escape as the
    driver's error).
    """
    raw = await connection.get_raw_connection()
    driver: Any = raw.driver_connection
    await driver.copy_records_to_table(table.name, records=records, columns=list(columns))


def is_aborted_transaction(error: Exception) -> bool:
    """The database aborted the transaction to break a deadlock or a serialization
    conflict (SQLSTATE class 40): the same transaction tried again can succeed."""
    sqlstate = str(getattr(getattr(error, "orig", None), "sqlstate", None) or "")
    return sqlstate.startswith("40")


def is_unique_violation(error: IntegrityError) -> bool:
    message = str(error.orig).lower()
    return "unique" in message or "duplicate key" in message
