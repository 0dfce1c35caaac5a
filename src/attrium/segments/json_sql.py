"""How each backend reads and compares a top-level key of a JSON document.

PostgreSQL works on `jsonb` (containment and `?` for what the GIN index answers);
SQLite on JSON text with its JSON functions, one lookup per comparison.
"""

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    ColumnElement,
    DateTime,
    Numeric,
    Text,
    and_,
    case,
    cast,
    false,
    func,
    literal,
    not_,
    or_,
    select,
)
from sqlalchemy.dialects.postgresql import JSONB

from attrium.core.database import dump_json
from attrium.core.sql import sqlite_json_path, sqlite_shallow_patch

Condition = ColumnElement[bool]


def json_access_for(backend: str) -> "JsonAccess":
    return PostgresJson() if backend == "postgresql" else SqliteJson()


def known(comparison: Condition) -> Condition:
    """FALSE where the comparison is NULL (the attribute is missing): one JSON lookup,
    where a presence test first would cost a second (SQLite parses the text each time)."""
    return func.coalesce(comparison, false(), type_=Boolean)


class JsonAccess:
    """How one backend reads a top-level key of a JSON document."""

    def document(self, attributes: dict[str, Any]) -> ColumnElement[Any]:
        raise NotImplementedError

    def has_key(self, document: ColumnElement[Any], name: str) -> Condition:
        raise NotImplementedError

    def one_of(self, document: ColumnElement[Any], name: str, values: tuple[Any, ...]) -> Condition:
        """The attribute is present and equal to one of `values` (never NULL)."""
        raise NotImplementedError

    def none_of(
        self, document: ColumnElement[Any], name: str, values: tuple[Any, ...]
    ) -> Condition:
        """The attribute is present and equal to none of `values` (never NULL)."""
        raise NotImplementedError

    def text(self, document: ColumnElement[Any], name: str) -> ColumnElement[Any]:
        raise NotImplementedError

    def number(self, document: ColumnElement[Any], name: str) -> ColumnElement[Any]:
        raise NotImplementedError

    def number_value(self, value: int | float) -> ColumnElement[Any]:
        raise NotImplementedError

    def moment(self, document: ColumnElement[Any], name: str) -> ColumnElement[Any]:
        raise NotImplementedError

    def moment_value(self, moment: datetime) -> ColumnElement[Any]:
        raise NotImplementedError

    def contains(self, text: ColumnElement[Any], needle: str) -> Condition:
        raise NotImplementedError

    def starts_with(self, text: ColumnElement[Any], prefix: str) -> Condition:
        raise NotImplementedError

    def object_agg(self, key: ColumnElement[Any], value: ColumnElement[Any]) -> ColumnElement[Any]:
        """An aggregate: one JSON object of key/value pairs (a NULL value becomes null)."""
        raise NotImplementedError

    def merge_patch(
        self, document: ColumnElement[Any], patch: ColumnElement[Any]
    ) -> ColumnElement[Any]:
        """`document` with `patch` merged in, keys whose value is null removed."""
        raise NotImplementedError


class PostgresJson(JsonAccess):
    def document(self, attributes: dict[str, Any]) -> ColumnElement[Any]:
        return cast(literal(dump_json(attributes), Text), JSONB)

    def has_key(self, document: ColumnElement[Any], name: str) -> Condition:
        return document.op("?", return_type=Boolean)(literal(name, Text))

    def contains_pair(self, document: ColumnElement[Any], name: str, value: Any) -> Condition:
        return document.op("@>", return_type=Boolean)(self.document({name: value}))

    def one_of(self, document: ColumnElement[Any], name: str, values: tuple[Any, ...]) -> Condition:
        return or_(*(self.contains_pair(document, name, value) for value in values))

    def none_of(
        self, document: ColumnElement[Any], name: str, values: tuple[Any, ...]
    ) -> Condition:
        return and_(
            self.has_key(document, name),
            *(not_(self.contains_pair(document, name, value)) for value in values),
        )

    def text(self, document: ColumnElement[Any], name: str) -> ColumnElement[Any]:
        return document.op("->>", return_type=Text)(literal(name, Text))

    def number(self, document: ColumnElement[Any], name: str) -> ColumnElement[Any]:
        return cast(document.op("->", return_type=JSONB)(literal(name, Text)), Numeric)

    def number_value(self, value: int | float) -> ColumnElement[Any]:
        return cast(literal(repr(value), Text), Numeric)

    def moment(self, document: ColumnElement[Any], name: str) -> ColumnElement[Any]:
        return cast(self.text(document, name), DateTime(timezone=True))

    def moment_value(self, moment: datetime) -> ColumnElement[Any]:
        return literal(moment, DateTime(timezone=True))

    def contains(self, text: ColumnElement[Any], needle: str) -> Condition:
        return func.strpos(text, literal(needle, Text)) > 0

    def starts_with(self, text: ColumnElement[Any], prefix: str) -> Condition:
        return func.starts_with(text, literal(prefix, Text), type_=Boolean)

    def object_agg(self, key: ColumnElement[Any], value: ColumnElement[Any]) -> ColumnElement[Any]:
        return func.jsonb_object_agg(key, value, type_=JSONB)

    def merge_patch(
        self, document: ColumnElement[Any], patch: ColumnElement[Any]
    ) -> ColumnElement[Any]:
        empty = self.document({})
        merged = document.op("||", return_type=JSONB)(func.coalesce(patch, empty))
        return func.jsonb_strip_nulls(merged, type_=JSONB)


class SqliteJson(JsonAccess):
    """SQLite: JSON text; datetimes compare as fixed-width text with microseconds."""

    def document(self, attributes: dict[str, Any]) -> ColumnElement[Any]:
        return literal(dump_json(attributes), Text)

    def value(self, document: ColumnElement[Any], name: str) -> ColumnElement[Any]:
        path = sqlite_json_path(name)
        if path is not None:
            return func.json_extract(document, path)
        entries = func.json_each(document).table_valued("key", "value").alias("entries")
        return select(entries.c.value).where(entries.c.key == name).scalar_subquery()

    def has_key(self, document: ColumnElement[Any], name: str) -> Condition:
        path = sqlite_json_path(name)
        if path is not None:
            return func.json_type(document, path).is_not(None)
        entries = func.json_each(document).table_valued("key").alias("entries")
        return select(entries.c.key).where(entries.c.key == name).exists()

    def one_of(self, document: ColumnElement[Any], name: str, values: tuple[Any, ...]) -> Condition:
        held = self.value(document, name)
        return known(held == literal(values[0]) if len(values) == 1 else held.in_(values))

    def none_of(
        self, document: ColumnElement[Any], name: str, values: tuple[Any, ...]
    ) -> Condition:
        held = self.value(document, name)
        return known(held != literal(values[0]) if len(values) == 1 else held.not_in(values))

    def text(self, document: ColumnElement[Any], name: str) -> ColumnElement[Any]:
        return self.value(document, name)

    def number(self, document: ColumnElement[Any], name: str) -> ColumnElement[Any]:
        return self.value(document, name)

    def number_value(self, value: int | float) -> ColumnElement[Any]:
        return literal(value)

    def moment(self, document: ColumnElement[Any], name: str) -> ColumnElement[Any]:
        text = self.value(document, name)
        return case(
            (func.length(text) == 20, func.substr(text, 1, 19) + literal(".000000Z", Text)),
            else_=text,
        )

    def moment_value(self, moment: datetime) -> ColumnElement[Any]:
        fixed = moment.astimezone(UTC).isoformat(timespec="microseconds")
        return literal(fixed.replace("+00:00", "Z"), Text)

    def contains(self, text: ColumnElement[Any], needle: str) -> Condition:
        return func.instr(text, literal(needle, Text)) > 0

    def starts_with(self, text: ColumnElement[Any], prefix: str) -> Condition:
        return func.substr(text, 1, len(prefix)) == literal(prefix, Text)

    def object_agg(self, key: ColumnElement[Any], value: ColumnElement[Any]) -> ColumnElement[Any]:
        return func.json_group_object(key, func.json(value), type_=Text)

    def merge_patch(
        self, document: ColumnElement[Any], patch: ColumnElement[Any]
    ) -> ColumnElement[Any]:
        return sqlite_shallow_patch(document, func.coalesce(patch, "{}"))
