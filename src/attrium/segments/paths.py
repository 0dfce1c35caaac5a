"""Conditions inside nested values: which attribute a dotted path names, and the values
that conditions on paths and arrays take (part of the predicate parser).

`address.city` names the member `city` of the object attribute `address`. An attribute
whose own name is the whole text wins (a catalog may hold an attribute named
`address.city`); otherwise the longest leading part that names an attribute must name
an object attribute, and the rest is the path of keys inside it.
"""

import math
from collections.abc import Callable, Mapping
from typing import Any

from attrium.attributes.models import Definition
from attrium.attributes.values import AttributeType
from attrium.core.sql import sqlite_json_path
from attrium.core.suggest import did_you_mean

Fail = Callable[[str, str, str], None]
INVALID_NESTED: Any = object()
MAX_LIST_VALUES = 1000
SIZE_COMPARISONS = frozenset({"eq", "neq", "gt", "gte", "lt", "lte"})
_ORDER = frozenset({"gt", "gte", "lt", "lte"})


def resolve_path(
    name: Any, definitions: Mapping[str, Definition], field: str, fail: Fail
) -> tuple[Definition, tuple[str, ...]] | None:
    """The attribute `name` refers to and the path inside it, or None (failed)."""
    if not isinstance(name, str):
        fail(field, "attribute.unknown", f"no attribute {name!r} in the catalog")
        return None
    found = definitions.get(name)
    if found is not None:
        return _addressable(found, (), field, fail)
    parts = name.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        head = definitions.get(".".join(parts[:cut]))
        if head is None:
            continue
        if head.type is not AttributeType.OBJECT:
            fail(
                field,
                "attribute.path",
                f"attribute {head.name!r} is of type {head.type.value}; "
                "only object attributes have paths",
            )
            return None
        path = tuple(parts[cut:])
        if not all(path):
            fail(field, "attribute.path", "a path's keys are non-empty")
            return None
        return _addressable(head, path, field, fail)
    hint = did_you_mean(name, definitions)
    fail(field, "attribute.unknown", f"no attribute {name!r} in the catalog{hint}")
    return None


def _addressable(
    definition: Definition, path: tuple[str, ...], field: str, fail: Fail
) -> tuple[Definition, tuple[str, ...]] | None:
    nested = path or definition.type is AttributeType.ARRAY
    keys = (definition.name, *path)
    # SQLite's JSON paths match a quoted key as stored, escapes and all: a key JSON
    # escapes cannot be named in one, so such names take no path or array condition
    # (on both backends).
    if nested and any(sqlite_json_path(key) is None for key in keys):
        fail(
            field,
            "attribute.path",
            "names and keys holding a quote, a backslash or a control character take no"
            " path or array condition",
        )
        return None
    return definition, path


def nested_value(op: str, tree: Mapping[str, Any], field: str, fail: Fail) -> Any:
    """The value of a condition on a path or an array, or INVALID_NESTED (failed)."""
    given = tree.get("value")
    if op in ("exists", "not_exists"):
        if given is not None:
            fail(field, "value.unexpected", f"{op} takes no value")
            return INVALID_NESTED
        return None
    if "value" not in tree or given is None:
        fail(field, "value.required", f"{op} needs a value")
        return INVALID_NESTED
    if op == "size":
        return _size(given, field, fail)
    if op in ("in", "not_in"):
        if not isinstance(given, list) or not given or len(given) > MAX_LIST_VALUES:
            fail(field, "value.list", f"a list of 1 to {MAX_LIST_VALUES} values")
            return INVALID_NESTED
        values = [_scalar(item, f"{field}.{i}", fail) for i, item in enumerate(given)]
        if any(value is INVALID_NESTED for value in values):
            return INVALID_NESTED
        return tuple(values)
    if op in _ORDER and (isinstance(given, bool) or not isinstance(given, int | float)):
        fail(field, "value.type", f"{op} takes a number")
        return INVALID_NESTED
    if op == "starts_with" and not isinstance(given, str):
        fail(field, "value.type", "starts_with takes a non-empty string")
        return INVALID_NESTED
    return _scalar(given, field, fail)


def _scalar(given: Any, field: str, fail: Fail) -> Any:
    if isinstance(given, str):
        if not given or "\x00" in given:
            fail(field, "value.type", "strings here are non-empty and hold no NUL")
            return INVALID_NESTED
        return given
    if isinstance(given, bool):
        return given
    if isinstance(given, int | float) and math.isfinite(given):
        return given
    fail(field, "value.type", "the value is a string, a number or a boolean")
    return INVALID_NESTED


def _size(given: Any, field: str, fail: Fail) -> Any:
    """`3` means exactly 3 elements; `{"gte": 1}` compares the length."""
    comparison, length = "eq", given
    if isinstance(given, dict) and len(given) == 1:
        [(comparison, length)] = given.items()
    if (
        comparison not in SIZE_COMPARISONS
        or isinstance(length, bool)
        or not isinstance(length, int)
        or length < 0
    ):
        fail(
            field,
            "value.size",
            "size takes a length (a whole number from 0) or one comparison such as "
            '{"gte": 1} (eq, neq, gt, gte, lt, lte)',
        )
        return INVALID_NESTED
    return (comparison, length)
