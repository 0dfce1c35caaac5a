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
    ColumnElement,
    and_,
    false,
    not_,
    or_,
    true,
)

from attrium.attributes.values import AttributeType
from attrium.segments.events import EventCondition, event_sql
from attrium.segments.json_sql import Condition, JsonAccess, json_access_for, known
from attrium.segments.links import link_sql
from attrium.segments.nested_sql import is_nested, nested_condition
from attrium.segments.predicates import (
    AllOf,
    AnyOf,
    AttributeCondition,
    IdentifierCondition,
    NotOf,
    Op,
    Predicate,
)


@dataclass(frozen=True, slots=True)
class CustomerState:
    """What a predicate is judged on: a customer's attributes, which identifiers it holds
    (a never-NULL condition each), and the time that relative conditions count from."""

    attributes: ColumnElement[Any]
    holds_identifier: dict[str, Condition]
    now: datetime


def compile_predicate(backend: str, predicate: Predicate, state: CustomerState) -> Condition:
    return _Compiler(backend, state).node(predicate)


class _Compiler:
    def __init__(self, backend: str, state: CustomerState) -> None:
        self.backend = backend
        self.json: JsonAccess = json_access_for(backend)
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
        if isinstance(predicate, AttributeCondition):
            return self.attribute(predicate)
        if isinstance(predicate, EventCondition):
            return event_sql(self.backend, predicate, self.state.now)
        return link_sql(predicate)

    def attribute(self, condition: AttributeCondition) -> Condition:
        document = self.state.attributes
        held = self.condition(document, condition)
        if condition.default is None:
            return held
        constant = self.json.document({condition.name: condition.default})
        present = self.json.has_key(document, condition.name)
        return or_(and_(present, held), and_(not_(present), self.condition(constant, condition)))

    def condition(self, document: ColumnElement[Any], condition: AttributeCondition) -> Condition:
        if is_nested(condition):
            return nested_condition(self.json, document, condition)
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
            return known(test(json.text(document, name), value))
        return known(self.ordered(document, condition))

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


def _parse_instant(canonical: str) -> datetime:
    return datetime.fromisoformat(canonical.replace("Z", "+00:00")).astimezone(UTC)
