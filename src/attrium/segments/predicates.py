"""Segment predicates: the JSON tree, checked against the catalog into typed conditions.

A predicate is `{"all": [...]}`, `{"any": [...]}`, `{"not": ...}` or a condition.
Conditions name an attribute (`{"attribute", "op", "value"}`) or an identifier
(`{"identifier": "email"|"phone", "op": "exists"|"not_exists"}`); links, such as
subscriptions, are in `segments.links`, and what a customer did in
`segments.events`. Parsing checks
every attribute against the catalog and every value against the attribute's type, and
reports every broken rule with the dotted field that broke it.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from attrium.attributes.models import Definition
from attrium.attributes.values import AttributeType, InvalidValue, canonical_value
from attrium.core.errors import FieldError, ValidationFailed
from attrium.core.suggest import did_you_mean
from attrium.segments.events import EventCondition, parse_event
from attrium.segments.links import LinkCondition, parse_relationship, parse_subscription
from attrium.segments.paths import INVALID_NESTED, nested_value, resolve_path

MAX_CONDITIONS = 200
MAX_LIST_VALUES = 1000
MAX_DAYS = 36_600


class Op(StrEnum):
    EQ = "eq"
    NEQ = "neq"
    GT = "gt"
    GTE = "gte"
    LT = "lt"
    LTE = "lte"
    IN = "in"
    NOT_IN = "not_in"
    CONTAINS = "contains"
    STARTS_WITH = "starts_with"
    EXISTS = "exists"
    NOT_EXISTS = "not_exists"
    BEFORE = "before"
    AFTER = "after"
    WITHIN_LAST_DAYS = "within_last_days"
    SIZE = "size"


PRESENCE_OPS = frozenset({Op.EXISTS, Op.NOT_EXISTS})
ORDER_OPS = frozenset({Op.GT, Op.GTE, Op.LT, Op.LTE})
LIST_OPS = frozenset({Op.IN, Op.NOT_IN})
TEXT_OPS = frozenset({Op.CONTAINS, Op.STARTS_WITH})
OPS_OF_TYPE: dict[AttributeType, frozenset[Op]] = {
    AttributeType.STRING: frozenset({Op.EQ, Op.NEQ, *LIST_OPS, *TEXT_OPS, *PRESENCE_OPS}),
    AttributeType.ENUM: frozenset({Op.EQ, Op.NEQ, *LIST_OPS, *PRESENCE_OPS}),
    AttributeType.NUMBER: frozenset({Op.EQ, Op.NEQ, *ORDER_OPS, *LIST_OPS, *PRESENCE_OPS}),
    AttributeType.BOOLEAN: frozenset({Op.EQ, Op.NEQ, *PRESENCE_OPS}),
    AttributeType.DATETIME: frozenset(
        {Op.EQ, Op.NEQ, *ORDER_OPS, Op.BEFORE, Op.AFTER, Op.WITHIN_LAST_DAYS, *PRESENCE_OPS}
    ),
    AttributeType.OBJECT: PRESENCE_OPS,  # its members through paths: PATH_OPS
    AttributeType.ARRAY: frozenset({Op.CONTAINS, Op.SIZE, *PRESENCE_OPS}),
}
PATH_OPS = frozenset({Op.EQ, Op.NEQ, *ORDER_OPS, *LIST_OPS, *TEXT_OPS, Op.SIZE, *PRESENCE_OPS})
IDENTIFIERS = ("email", "phone")
_OP_VALUES = frozenset(op.value for op in Op)


@dataclass(frozen=True, slots=True)
class AttributeCondition:
    """`value` is canonical for the type: a tuple for in/not_in, days for within_last_days,
    (comparison, length) for size. A `path` names a member inside an object attribute
    (`address.city`: name "address", path ("city",)); its value is a JSON scalar."""

    name: str
    type: AttributeType
    op: Op
    value: Any
    default: Any = None
    path: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class IdentifierCondition:
    identifier: str
    op: Op


@dataclass(frozen=True, slots=True)
class AllOf:
    parts: tuple["Predicate", ...]


@dataclass(frozen=True, slots=True)
class AnyOf:
    parts: tuple["Predicate", ...]


@dataclass(frozen=True, slots=True)
class NotOf:
    part: "Predicate"


Leaf = AttributeCondition | IdentifierCondition | LinkCondition | EventCondition
Predicate = AllOf | AnyOf | NotOf | Leaf


@dataclass(frozen=True, slots=True)
class Vocabulary:
    """What a predicate may name: the catalog, the topics (id to subscribed-by-default)
    and the object type ids of the workspace."""

    definitions: Mapping[str, Definition]
    topics: Mapping[str, bool] = field(default_factory=dict)
    object_types: frozenset[str] = frozenset()


_NODE_KEYS = (
    "all",
    "any",
    "not",
    "attribute",
    "identifier",
    "subscription",
    "relationship",
    "event",
)


def parse(tree: Any, vocabulary: Vocabulary, at: str = "predicate") -> Predicate:
    """The typed predicate of `tree`, or ValidationFailed listing every broken rule."""
    parser = _Parser(vocabulary)
    predicate = parser.node(tree, at)
    if parser.conditions > MAX_CONDITIONS:
        parser.fail(at, "limit.conditions", f"at most {MAX_CONDITIONS} conditions")
    if parser.errors:
        errors = parser.errors
        detail = (
            errors[0].message if len(errors) == 1 else f"{len(errors)} rules broken; see errors"
        )
        raise ValidationFailed(detail, errors)
    assert predicate is not None
    return predicate


def attribute_names(predicate: Predicate) -> frozenset[str]:
    """The attributes a predicate reads (the top-level name of a nested path)."""
    if isinstance(predicate, AllOf | AnyOf):
        return frozenset().union(*(attribute_names(part) for part in predicate.parts))
    if isinstance(predicate, NotOf):
        return attribute_names(predicate.part)
    return frozenset({predicate.name}) if isinstance(predicate, AttributeCondition) else frozenset()


def uses_relative_time(predicate: Predicate) -> bool:
    """Whether membership can change with time alone (no write needed)."""
    if isinstance(predicate, AllOf | AnyOf):
        return any(uses_relative_time(part) for part in predicate.parts)
    if isinstance(predicate, NotOf):
        return uses_relative_time(predicate.part)
    if isinstance(predicate, EventCondition):
        return predicate.within_last_days is not None
    return isinstance(predicate, AttributeCondition) and predicate.op is Op.WITHIN_LAST_DAYS


class _Parser:
    def __init__(self, vocabulary: Vocabulary) -> None:
        self.vocabulary = vocabulary
        self.definitions = vocabulary.definitions
        self.errors: list[FieldError] = []
        self.conditions = 0

    def fail(self, field: str, rule: str, message: str) -> None:
        self.errors.append(FieldError(field, rule, message))

    def node(self, tree: Any, field: str) -> Predicate | None:
        if not isinstance(tree, dict):
            self.fail(field, "predicate.type", "a predicate is a JSON object")
            return None
        kinds = [key for key in _NODE_KEYS if key in tree]
        if len(kinds) != 1:
            self.fail(
                field,
                "predicate.shape",
                "a predicate holds exactly one of " + ", ".join(_NODE_KEYS),
            )
            return None
        kind = kinds[0]
        if kind in ("all", "any"):
            return self.group(kind, tree, field)
        if kind == "not":
            self.refuse_extra(tree, {"not"}, field)
            part = self.node(tree["not"], f"{field}.not")
            return NotOf(part) if part is not None else None
        self.conditions += 1
        if kind == "attribute":
            return self.attribute(tree, field)
        if kind == "identifier":
            return self.identifier(tree, field)
        self.refuse_extra(tree, {kind}, field)
        if kind == "event":
            return parse_event(tree[kind], f"{field}.{kind}", MAX_DAYS, self.fail)
        if kind == "subscription":
            return parse_subscription(
                tree[kind], f"{field}.{kind}", self.vocabulary.topics, self.fail
            )
        return parse_relationship(
            tree[kind], f"{field}.{kind}", self.vocabulary.object_types, self.fail
        )

    def refuse_extra(self, tree: dict[str, Any], allowed: set[str], field: str) -> None:
        for key in tree:
            if key not in allowed:
                hint = did_you_mean(str(key), allowed)
                self.fail(
                    f"{field}.{key}", "predicate.unknown_field", f"unknown field {key!r}{hint}"
                )

    def group(self, kind: str, tree: dict[str, Any], field: str) -> Predicate | None:
        self.refuse_extra(tree, {kind}, field)
        members = tree[kind]
        if not isinstance(members, list):
            self.fail(f"{field}.{kind}", "predicate.type", f"{kind} takes a list of predicates")
            return None
        parts = [
            self.node(member, f"{field}.{kind}.{index}") for index, member in enumerate(members)
        ]
        checked = tuple(part for part in parts if part is not None)
        return AllOf(checked) if kind == "all" else AnyOf(checked)

    def identifier(self, tree: dict[str, Any], field: str) -> Predicate | None:
        self.refuse_extra(tree, {"identifier", "op"}, field)
        identifier = tree["identifier"]
        if identifier not in IDENTIFIERS:
            self.fail(
                f"{field}.identifier", "identifier.unknown", "identifier is 'email' or 'phone'"
            )
            return None
        op = self.op(tree, field)
        if op is None:
            return None
        if op not in PRESENCE_OPS:
            self.fail(f"{field}.op", "op.identifier", "identifiers take 'exists' or 'not_exists'")
            return None
        return IdentifierCondition(identifier, op)

    def op(self, tree: dict[str, Any], field: str) -> Op | None:
        given = tree.get("op")
        if isinstance(given, str) and given in _OP_VALUES:
            return Op(given)
        allowed = ", ".join(sorted(_OP_VALUES))
        self.fail(f"{field}.op", "op.unknown", f"op must be one of {allowed}")
        return None

    def attribute(self, tree: dict[str, Any], field: str) -> Predicate | None:
        self.refuse_extra(tree, {"attribute", "op", "value"}, field)
        name = tree["attribute"]
        resolved = resolve_path(name, self.definitions, f"{field}.attribute", self.fail)
        if resolved is None:
            return None
        definition, path = resolved
        op = self.op(tree, field)
        if op is None:
            return None
        fitting = PATH_OPS if path else OPS_OF_TYPE[definition.type]
        if op not in fitting:
            kind = "a path inside an object" if path else f"type {definition.type.value}"
            allowed = ", ".join(sorted(fitting))
            self.fail(
                f"{field}.op",
                "op.type",
                f"operator {op.value!r} does not fit attribute {name!r} of {kind}; "
                f"use one of {allowed}",
            )
            return None
        if path or definition.type is AttributeType.ARRAY:
            value = nested_value(op, tree, f"{field}.value", self.fail)
        else:
            value = self.value(definition, op, tree, f"{field}.value")
        if value is _INVALID or value is INVALID_NESTED:
            return None
        return AttributeCondition(
            definition.name, definition.type, op, value, definition.default, path
        )

    def value(self, definition: Definition, op: Op, tree: dict[str, Any], field: str) -> Any:
        given = tree.get("value")
        if op in PRESENCE_OPS:
            if given is not None:
                self.fail(field, "value.unexpected", f"{op.value} takes no value")
                return _INVALID
            return None
        if "value" not in tree or given is None:
            self.fail(field, "value.required", f"{op.value} needs a value")
            return _INVALID
        if op is Op.WITHIN_LAST_DAYS:
            return self.days(given, field)
        if op in TEXT_OPS:
            if not isinstance(given, str) or not given:
                self.fail(field, "value.type", f"{op.value} takes a non-empty string")
                return _INVALID
            return self.without_nul(given, field)
        if op in LIST_OPS:
            return self.value_list(definition, given, field)
        return self.typed(definition, given, field)

    def typed(self, definition: Definition, given: Any, field: str) -> Any:
        if given == "":
            self.fail(field, "value.empty", "empty strings are never attribute values")
            return _INVALID
        if isinstance(given, str) and self.without_nul(given, field) is _INVALID:
            return _INVALID
        try:
            return canonical_value(field, given, definition.spec, definition.name)
        except InvalidValue as invalid:
            self.errors.append(invalid.error)
            return _INVALID

    def without_nul(self, given: str, field: str) -> Any:
        """`given`, or _INVALID if it holds a NUL (which no stored value holds)."""
        if "\x00" in given:
            self.fail(field, "value.encoding", "strings must be valid Unicode without NUL")
            return _INVALID
        return given

    def value_list(self, definition: Definition, given: Any, field: str) -> Any:
        if not isinstance(given, list) or not given or len(given) > MAX_LIST_VALUES:
            self.fail(field, "value.list", f"a list of 1 to {MAX_LIST_VALUES} values")
            return _INVALID
        values = [self.typed(definition, item, f"{field}.{i}") for i, item in enumerate(given)]
        if any(value is _INVALID for value in values):
            return _INVALID
        return tuple(dict.fromkeys(values))

    def days(self, given: Any, field: str) -> Any:
        if isinstance(given, bool) or not isinstance(given, int | float):
            self.fail(field, "value.type", "within_last_days takes a number of days")
            return _INVALID
        if not 0 < given <= MAX_DAYS:
            self.fail(field, "value.range", f"days lie between 0 (excluded) and {MAX_DAYS}")
            return _INVALID
        return given


_INVALID: Any = object()
