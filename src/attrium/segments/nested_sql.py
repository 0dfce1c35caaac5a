"""Conditions on paths inside object attributes and on array attributes, per backend
(part of the predicate compiler).

A path's value has no catalog type, so every comparison also tests the JSON type of
what it finds: `eq 1` never matches `"1"` or `true`, `gt 3` only numbers, `contains`
and `starts_with` on text only strings. Like every condition, each is TRUE or FALSE,
never NULL: a customer without the member fails every comparison.

PostgreSQL compares with jsonb containment where it can (`{"address": {"city":
"Lisbon"}}` for `address.city eq "Lisbon"`, `{"tags": ["vip"]}` for `tags contains
"vip"`), which the GIN index on `customers.attributes` answers; SQLite with
`json_type`, `json_extract`, `json_each` and `json_array_length` on a quoted path.
"""

from collections.abc import Callable
from typing import Any

from sqlalchemy import (
    Boolean,
    ColumnElement,
    Integer,
    Numeric,
    Text,
    and_,
    case,
    cast,
    func,
    literal,
    not_,
    or_,
    select,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

from attrium.attributes.values import AttributeType
from attrium.core.database import dump_json
from attrium.segments.json_sql import Condition, PostgresJson, known
from attrium.segments.predicates import LIST_OPS, ORDER_OPS, AttributeCondition, Op

Document = ColumnElement[Any]
_SIZE_COMPARISONS: dict[str, Callable[[Any, Any], Any]] = {
    "eq": lambda left, right: left == right,
    "neq": lambda left, right: left != right,
    "gt": lambda left, right: left > right,
    "gte": lambda left, right: left >= right,
    "lt": lambda left, right: left < right,
    "lte": lambda left, right: left <= right,
}


def is_nested(condition: AttributeCondition) -> bool:
    """Whether the condition compiles here: a path, or an array's own operators."""
    return bool(condition.path) or (
        condition.type is AttributeType.ARRAY and condition.op in (Op.CONTAINS, Op.SIZE)
    )


def nested_condition(
    json_access: Any, document: Document, condition: AttributeCondition
) -> Condition:
    keys = (condition.name, *condition.path)
    at: _Postgres | _Sqlite = (
        _Postgres(document, keys)
        if isinstance(json_access, PostgresJson)
        else _Sqlite(document, keys)
    )
    op, value = condition.op, condition.value
    if op is Op.EXISTS:
        return at.present()
    if op is Op.NOT_EXISTS:
        return not_(at.present())
    if op is Op.EQ:
        return at.equal(value)
    if op is Op.IN:
        return or_(*(at.equal(item) for item in value))
    if op in (Op.NEQ, Op.NOT_IN):
        values = value if op in LIST_OPS else (value,)
        return and_(at.present(), *(not_(at.equal(item)) for item in values))
    if op in ORDER_OPS:
        return known(_SIZE_COMPARISONS[op.value](at.number(), value))
    if op is Op.STARTS_WITH:
        return at.starts_with(value)
    if op is Op.SIZE:
        comparison, length = value
        return known(_SIZE_COMPARISONS[comparison](at.length(), length))
    holds = at.holds(value)
    if condition.path and isinstance(value, str):
        return or_(holds, at.contains_text(value))  # a string or an array of them
    return holds


class _Postgres:
    def __init__(self, document: Document, keys: tuple[str, ...]) -> None:
        self.document = document
        self.keys = keys
        self.value = document.op("#>", return_type=JSONB)(literal(list(keys), ARRAY(Text)))

    def _contains(self, inner: Any) -> Condition:
        for key in reversed(self.keys):
            inner = {key: inner}
        nested = cast(literal(dump_json(inner), Text), JSONB)
        return self.document.op("@>", return_type=Boolean)(nested)

    def _of_type(self, json_type: str, then: Any) -> Any:
        return case((func.jsonb_typeof(self.value) == json_type, then))

    def present(self) -> Condition:
        return self.value.is_not(None)

    def equal(self, value: Any) -> Condition:
        return self._contains(value)

    def holds(self, value: Any) -> Condition:
        return self._contains([value])

    def number(self) -> Any:
        return self._of_type("number", cast(self.value, Numeric))

    def _text(self) -> Any:
        text = self.document.op("#>>", return_type=Text)(literal(list(self.keys), ARRAY(Text)))
        return self._of_type("string", text)

    def contains_text(self, needle: str) -> Condition:
        return known(func.strpos(self._text(), literal(needle, Text)) > 0)

    def starts_with(self, prefix: str) -> Condition:
        return known(func.starts_with(self._text(), literal(prefix, Text), type_=Boolean))

    def length(self) -> Any:
        return self._of_type("array", func.jsonb_array_length(self.value, type_=Integer))


class _Sqlite:
    def __init__(self, document: Document, keys: tuple[str, ...]) -> None:
        self.document = document
        self.path = "$" + "".join(f'."{key}"' for key in keys)  # keys checked quotable

    def _type(self) -> ColumnElement[Any]:
        return func.json_type(self.document, self.path)

    def _value(self) -> Any:
        return func.json_extract(self.document, self.path)

    def present(self) -> Condition:
        return self._type().is_not(None)

    def equal(self, value: Any) -> Condition:
        return known(_typed_equal(self._type(), self._value(), value))

    def holds(self, value: Any) -> Condition:
        elements = func.json_each(self.document, self.path).table_valued("type", "value")
        elements = elements.alias("elements")
        match = _typed_equal(elements.c.type, elements.c.value, value)
        held = select(literal(1)).select_from(elements).where(match).exists()
        return known(and_(self._type() == "array", held))

    def number(self) -> Any:
        return case((self._type().in_(("integer", "real")), self._value()))

    def _text(self) -> Any:
        return case((self._type() == "text", self._value()))

    def contains_text(self, needle: str) -> Condition:
        return known(func.instr(self._text(), literal(needle, Text)) > 0)

    def starts_with(self, prefix: str) -> Condition:
        text = self._text()
        return known(func.substr(text, 1, len(prefix)) == literal(prefix, Text))

    def length(self) -> Any:
        return case((self._type() == "array", func.json_array_length(self.document, self.path)))


def _typed_equal(json_type: Any, held: Any, value: Any) -> Any:
    """SQLite: `held` (json_extract's SQL value) is the JSON scalar `value`, type and all."""
    if isinstance(value, bool):
        return json_type == ("true" if value else "false")
    if isinstance(value, str):
        return and_(json_type == "text", held == literal(value, Text))
    return and_(json_type.in_(("integer", "real")), held == literal(value))
