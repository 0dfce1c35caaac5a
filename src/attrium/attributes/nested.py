"""Object and array values: their limits, checks and canonical form.

A nested value is stored whole: a write replaces the attribute's object or array,
it never merges into it. Its canonical form drops the null members of objects at
any depth (null means absent, as at the top level, and both backends' JSON merges
drop them too); null elements of arrays stay.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson

from attrium.core.errors import FieldError

StringCheck = Callable[[str, str], FieldError | None]


@dataclass(frozen=True, slots=True)
class NestedLimits:
    """How large an object or array value may be (server settings)."""

    max_depth: int = 5
    max_array_length: int = 100
    max_bytes: int = 16384


def nested_error(
    field: str, value: dict[str, Any] | list[Any], limits: NestedLimits, string_error: StringCheck
) -> FieldError | None:
    """Why an object or array cannot be a value, or None when it can.

    `string_error` applies the rules of string values to the strings inside.
    """
    try:
        size = len(orjson.dumps(value))
    except (TypeError, orjson.JSONEncodeError):
        return FieldError(
            field,
            "value.encoding",
            "not storable as JSON: strings must be valid Unicode, integers fit in 64 bits",
        )
    if size > limits.max_bytes:
        return FieldError(
            field,
            "value.too_large",
            f"{json_kind(value)} is {size} bytes as JSON; at most {limits.max_bytes} allowed "
            "(ATTRIUM_MAX_NESTED_VALUE_BYTES)",
        )
    return _walk(field, value, 1, limits, string_error)


def _walk(
    field: str, value: Any, depth: int, limits: NestedLimits, string_error: StringCheck
) -> FieldError | None:
    if isinstance(value, dict | list) and depth > limits.max_depth:
        return FieldError(
            field,
            "value.depth",
            f"value nests objects and arrays deeper than {limits.max_depth} levels "
            "(ATTRIUM_MAX_VALUE_DEPTH)",
        )
    if isinstance(value, dict):
        return _walk_object(field, value, depth, limits, string_error)
    if isinstance(value, list):
        if len(value) > limits.max_array_length:
            return FieldError(
                field,
                "value.array_length",
                f"array has {len(value)} elements; at most {limits.max_array_length} allowed "
                "(ATTRIUM_MAX_ARRAY_LENGTH)",
            )
        for index, item in enumerate(value):
            error = _walk(f"{field}.{index}", item, depth + 1, limits, string_error)
            if error is not None:
                return error
        return None
    return _scalar_error(field, value, string_error)


def _walk_object(
    field: str,
    value: dict[str, Any],
    depth: int,
    limits: NestedLimits,
    string_error: StringCheck,
) -> FieldError | None:
    for key, item in value.items():
        if not isinstance(key, str) or not key:
            return FieldError(field, "value.key", "object keys are non-empty strings")
        error = string_error(field, key) or _walk(
            f"{field}.{key}", item, depth + 1, limits, string_error
        )
        if error is not None:
            return error
    return None


def _scalar_error(field: str, value: Any, string_error: StringCheck) -> FieldError | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, str):
        return string_error(field, value) if value else None
    if isinstance(value, int | float):
        if value != value or value in (float("inf"), float("-inf")):
            return FieldError(field, "value.number", "numbers must be finite")
        return None
    return FieldError(field, "value.type", f"unsupported value of type {type(value).__name__}")


def json_kind(value: Any) -> str:
    return "object" if isinstance(value, dict) else "array"


def as_object(value: Any, _spec: Any) -> dict[str, Any] | None:
    return without_null_members(value) if isinstance(value, dict) else None


def as_array(value: Any, _spec: Any) -> list[Any] | None:
    return without_null_members(value) if isinstance(value, list) else None


def without_null_members(value: Any) -> Any:
    """`value` with the null members of its objects removed, at any depth."""
    if isinstance(value, dict):
        return {key: without_null_members(item) for key, item in value.items() if item is not None}
    if isinstance(value, list):
        return [without_null_members(item) for item in value]
    return value
