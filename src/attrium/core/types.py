"""Column types that behave the same on both backends."""

from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import JSON, DateTime, Dialect, Text
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.types import TypeDecorator, TypeEngine


class UtcDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC in, timezone-aware UTC out.

    PostgreSQL stores `timestamptz`; SQLite stores naive UTC text, which sorts and
    compares correctly because its format is fixed.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class JsonDocument(TypeDecorator[Any]):
    """`jsonb` on PostgreSQL; on SQLite, JSON text in a TEXT column.

    A TEXT column matters on SQLite: a column typed JSON has numeric affinity, which
    turns the text `25` into the integer 25 behind the driver's back. None is stored
    as SQL NULL when `none_as_null`, else as JSON `null`.
    """

    impl = JSON
    cache_ok = True

    def __init__(self, none_as_null: bool = False) -> None:
        super().__init__()
        self.none_as_null = none_as_null

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(JSONB(none_as_null=self.none_as_null))
        return dialect.type_descriptor(Text())

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if dialect.name == "postgresql":
            return value
        if value is None and self.none_as_null:
            return None
        return orjson.dumps(value).decode()

    def process_result_value(self, value: Any, dialect: Dialect) -> Any:
        if dialect.name == "postgresql" or value is None:
            return value
        return orjson.loads(value)


def json_document(*, none_as_null: bool = False) -> JsonDocument:
    return JsonDocument(none_as_null=none_as_null)


class NameList(TypeDecorator[list[str]]):
    """A list of names: `text[]` on PostgreSQL (a GIN index answers "holds this name");
    on SQLite, a JSON array in a TEXT column (a side table, filled by triggers, indexes it)."""

    impl = Text
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(ARRAY(Text()))
        return dialect.type_descriptor(Text())

    def process_bind_param(self, value: list[str] | None, dialect: Dialect) -> Any:
        if dialect.name == "postgresql" or value is None:
            return value
        return orjson.dumps(value).decode()

    def process_result_value(self, value: Any, dialect: Dialect) -> list[str] | None:
        if dialect.name == "postgresql" or value is None:
            return value  # type: ignore[no-any-return]
        names: list[str] = orjson.loads(value)
        return names
