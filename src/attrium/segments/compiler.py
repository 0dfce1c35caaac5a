"""Predicates compiled to one SQL condition, per backend (part of the segment store).

PostgreSQL tests equality, membership and presence with jsonb containment (`@>`) and
`?`, which the GIN index on `customers.attributes` answers; order comparisons cast the
extracted value (`numeric`, `timestamptz`). SQLite uses its JSON functions. Every
condition is TRUE or FALSE, never NULL, so `not` is plain logical negation: a customer
without the attribute fails every comparison and passes its negation.

Catalog defaults take part as they do on read: a customer lacking an attribute is
judged on the default, which the condition evaluates as a constant document.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
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
    true,
)
from sqlalchemy.dialects.postgresql import JSONB

from attrium.attributes.values import AttributeType
from attrium.core.database import dump_json
from attrium.core.sql import sqlite_json_path
from attrium.segments.predicates import (
    AllOf,
    AnyOf,
    AttributeCondition,
    IdentifierCondition,
    NotOf,
    Op,
    Predicate,
)

Condition = ColumnElement[bool]


@dataclass(frozen=True, slots=True)
class CustomerState:
    """What a predicate is judged on: a customer's attributes, which identifiers it holds
    (a never-NULL condition each), and the time that relative conditions count from."""

    attributes: ColumnElement[Any]
    holds_identifier: dict[str, Condition]
    now: datetime


def json_access_for(backend: str) -> "JsonAccess":
    return PostgresJson() if backend == "postgresql" else SqliteJson()


def compile_predicate(backend: str, predicate: Predicate, state: CustomerState) -> Condition:
    return _Compiler(json_access_for(backend), state).node(predicate)


class _Compiler:
    def __init__(self, json_access: "JsonAccess", state: CustomerState) -> None:
        self.json = json_access
        self.state = state

    def node(self, predicate: Predicate) -> Condition:
        if isinstance(predicate, AllOf):
            return and_(true(), *(self.node(part) for part in predicate.parts))
        if isinstance(predicate, AnyOf):
            return or_(false(), *(self.node(part) for part in predicate.parts))
        if isinstance(predicate, NotOf):
            return not_(self.node(predicate.part))
        if isinstance(predicate, IdentifierCondition):
            held = self.state.holds_identifier[predicate.identifier]
            return held if predicate.op is Op.EXISTS else not_(held)
        return self.attribute(predicate)

    def attribute(self, condition: AttributeCondition) -> Condition:
        document = self.state.attributes
        held = self.condition(document, condition)
        if condition.default is None:
            return held
        constant = self.json.document({condition.name: condition.default})
        present = self.json.has_key(document, condition.name)
        return or_(and_(present, held), and_(not_(present), self.condition(constant, condition)))

    def condition(self, document: ColumnElement[Any], condition: AttributeCondition) -> Condition:
        name, op, value = condition.name, condition.op, condition.value
        json = self.json
        if op is Op.EXISTS:
            return json.has_key(document, name)
        if op is Op.NOT_EXISTS:
            return not_(json.has_key(document, name))
        if op is Op.EQ:
            return json.one_of(document, name, (value,))
        if op is Op.IN:
            return json.one_of(document, name, value)
        if op is Op.NEQ:
            return json.none_of(document, name, (value,))
        if op is Op.NOT_IN:
            return json.none_of(document, name, value)
        if op in (Op.CONTAINS, Op.STARTS_WITH):
            test = json.contains if op is Op.CONTAINS else json.starts_with
            return _known(test(json.text(document, name), value))
        return _known(self.ordered(document, condition))

    def ordered(self, document: ColumnElement[Any], condition: AttributeCondition) -> Condition:
        if condition.type is AttributeType.NUMBER:
            number = self.json.number(document, condition.name)
            return _compare(condition.op, number, self.json.number_value(condition.value))
        moment = self.json.moment(document, condition.name)
        if condition.op is Op.WITHIN_LAST_DAYS:
            earliest = self.state.now - timedelta(days=condition.value)
            return and_(
                moment >= self.json.moment_value(earliest),
                moment <= self.json.moment_value(self.state.now),
            )
        bound = self.json.moment_value(_parse_instant(condition.value))
        return _compare(condition.op, moment, bound)


def _compare(op: Op, left: ColumnElement[Any], right: ColumnElement[Any]) -> Condition:
    comparisons: dict[Op, Callable[[], Condition]] = {
        Op.GT: lambda: left > right,
        Op.AFTER: lambda: left > right,
        Op.GTE: lambda: left >= right,
        Op.LT: lambda: left < right,
        Op.BEFORE: lambda: left < right,
        Op.LTE: lambda: left <= right,
    }
    return comparisons[op]()


def _known(comparison: Condition) -> Condition:
    """FALSE where the comparison is NULL (the attribute is missing): one JSON lookup,
    where a presence test first would cost a second (SQLite parses the text each time)."""
    return func.coalesce(comparison, false(), type_=Boolean)


def _parse_instant(canonical: str) -> datetime:
    return datetime.fromisoformat(canonical.replace("Z", "+00:00")).astimezone(UTC)


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
        return _known(held == literal(values[0]) if len(values) == 1 else held.in_(values))

    def none_of(
        self, document: ColumnElement[Any], name: str, values: tuple[Any, ...]
    ) -> Condition:
        held = self.value(document, name)
        return _known(held != literal(values[0]) if len(values) == 1 else held.not_in(values))

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
        return func.json_patch(document, func.coalesce(patch, "{}"), type_=Text)
