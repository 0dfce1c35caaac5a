"""Attribute names and values: shape checks, type inference and canonical forms.

Pure functions with no I/O, so every path (native API, dialects, imports) applies
exactly these rules. A value is either accepted in its canonical form or refused
with a `FieldError` naming the attribute, the rule and what was expected.
"""

import math
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

from attrium.attributes.nested import NestedLimits, as_array, as_object, nested_error
from attrium.core.clock import isoformat
from attrium.core.errors import FieldError

MAX_SAFE_INTEGER = 2**53 - 1
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")
_JSON_NUMBER = re.compile(r"-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?")
_ISO_DATETIME = re.compile(
    r"(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}(?::\d{2})?)(?:\.(\d{1,9}))?(Z|[+-]\d{2}:?\d{2})?",
    re.IGNORECASE,
)
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


class AttributeType(StrEnum):
    STRING = "string"
    NUMBER = "number"
    BOOLEAN = "boolean"
    DATETIME = "datetime"
    ENUM = "enum"
    OBJECT = "object"
    ARRAY = "array"


@dataclass(frozen=True, slots=True)
class TypeSpec:
    """What a value must fit: the catalog's view of one attribute."""

    type: AttributeType
    enum_values: tuple[str, ...] | None = None
    max_length: int | None = None


@dataclass(frozen=True, slots=True)
class ValueLimits:
    max_name_chars: int = 200
    max_name_bytes: int | None = None
    max_string_bytes: int = 1000
    numeric_strings_are_numbers: bool = False
    nested: NestedLimits | None = None  # None: objects and arrays are refused


class InvalidValue(Exception):
    """A value that does not fit; carries the field error to report."""

    def __init__(self, error: FieldError) -> None:
        super().__init__(error.message)
        self.error = error


def json_type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def name_error(name: Any, limits: ValueLimits, field: str) -> FieldError | None:
    """Why `name` cannot name an attribute, or None when it can."""
    if not isinstance(name, str) or not name:
        return FieldError(field, "name.empty", "attribute names must be non-empty strings")
    if len(name) > limits.max_name_chars:
        return FieldError(
            field,
            "name.too_long",
            f"attribute name is {len(name)} characters; at most {limits.max_name_chars} allowed",
        )
    if _CONTROL_CHARACTERS.search(name):
        return FieldError(
            field, "name.control_character", "attribute names cannot hold control characters"
        )
    encoded = _utf8(name)
    if encoded is None:
        return FieldError(field, "name.encoding", "attribute name is not valid Unicode")
    if limits.max_name_bytes is not None and len(encoded) > limits.max_name_bytes:
        return FieldError(
            field,
            "name.too_long",
            f"attribute name is {len(encoded)} bytes; at most {limits.max_name_bytes} allowed",
        )
    return None


def check_shape(field: str, value: Any, limits: ValueLimits) -> None:
    """Refuse what no attribute may hold, whatever its type."""
    kind = type(value)  # the common exact types first: a batch checks ten a row
    if kind is int or kind is bool:
        return
    if kind is str:
        _check_string(field, value, limits)
        return
    if isinstance(value, list | dict):
        if limits.nested is None:
            raise InvalidValue(
                FieldError(
                    field,
                    "value.type",
                    f"attribute values cannot be {json_type_name(value)}s; "
                    "use a string, number, boolean or date-time",
                )
            )
        error = nested_error(
            field, value, limits.nested, lambda at, text: _string_error(at, text, limits)
        )
        if error is not None:
            raise InvalidValue(error)
        return
    if isinstance(value, str):
        _check_string(field, value, limits)
    elif isinstance(value, float) and not math.isfinite(value):
        raise InvalidValue(FieldError(field, "value.number", "numbers must be finite"))
    elif not isinstance(value, bool | int | float | str):
        raise InvalidValue(
            FieldError(field, "value.type", f"unsupported value of type {json_type_name(value)}")
        )


def _check_string(field: str, value: str, limits: ValueLimits) -> None:
    if value == "":
        raise InvalidValue(
            FieldError(field, "value.empty", "empty strings are not values; send null to remove")
        )
    error = _string_error(field, value, limits)
    if error is not None:
        raise InvalidValue(error)


def _string_error(field: str, value: str, limits: ValueLimits) -> FieldError | None:
    """The rules of every string value, at the top level or inside an object or array."""
    encoded = _utf8(value)
    if encoded is None or "\x00" in value:
        return FieldError(field, "value.encoding", "strings must be valid Unicode without NUL")
    if len(encoded) > limits.max_string_bytes:
        return FieldError(
            field,
            "value.too_long",
            f"string is {len(encoded)} bytes; at most {limits.max_string_bytes} allowed",
        )
    return None


def _utf8(text: str) -> bytes | None:
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        return None


def infer_type(value: Any, limits: ValueLimits) -> AttributeType:
    """The type an attribute takes from the first value ever written to it."""
    if isinstance(value, dict):
        return AttributeType.OBJECT
    if isinstance(value, list):
        return AttributeType.ARRAY
    if isinstance(value, bool):
        return AttributeType.BOOLEAN
    if isinstance(value, int | float):
        return AttributeType.NUMBER
    if limits.numeric_strings_are_numbers and _JSON_NUMBER.fullmatch(value):
        return AttributeType.NUMBER
    if _ISO_DATETIME.fullmatch(value) and _parse_datetime(value) is not None:
        return AttributeType.DATETIME
    return AttributeType.STRING


def canonical_value(field: str, value: Any, spec: TypeSpec, name: str | None = None) -> Any:
    """`value` converted to the canonical form of `spec`, or InvalidValue.

    `field` locates the value in the request; `name` is the attribute's own name,
    which the message uses (default: the field).
    """
    converted = _CONVERTERS[spec.type](value, spec)
    if converted is None:
        message = _mismatch_message(name or field, value, spec)
        raise InvalidValue(FieldError(field, f"type.{spec.type.value}", message))
    return converted


def _mismatch_message(field: str, value: Any, spec: TypeSpec) -> str:
    if spec.type is AttributeType.ENUM and isinstance(value, str):
        allowed = ", ".join(spec.enum_values or ())
        return f"{value!r} is not one of the values of enum attribute {field!r}: {allowed}"
    if spec.type is AttributeType.STRING and isinstance(value, str) and spec.max_length:
        return f"attribute {field!r} holds at most {spec.max_length} characters"
    return (
        f"attribute {field!r} has type {spec.type.value}; "
        f"got a {json_type_name(value)} ({_preview(value)})"
    )


def _preview(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _as_string(value: Any, spec: TypeSpec) -> str | None:
    if not isinstance(value, str):
        return None
    if spec.max_length is not None and len(value) > spec.max_length:
        return None
    return value


def _as_enum(value: Any, spec: TypeSpec) -> str | None:
    if isinstance(value, str) and value in (spec.enum_values or ()):
        return value
    return None


def _as_boolean(value: Any, _spec: TypeSpec) -> bool | None:
    if isinstance(value, bool):
        return value
    return {"true": True, "false": False}.get(value) if isinstance(value, str) else None


def _as_number(value: Any, _spec: TypeSpec) -> int | float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        if not _JSON_NUMBER.fullmatch(value):
            return None
        value = float(value) if any(c in value for c in ".eE") else int(value)
    if isinstance(value, int):
        return value if abs(value) <= MAX_SAFE_INTEGER else None
    if isinstance(value, float) and math.isfinite(value):
        return canonical_number(value)
    return None


def canonical_number(value: float) -> int | float:
    """Integral floats become ints so that 24, 24.0 and "24" are one value."""
    if value.is_integer() and abs(value) <= MAX_SAFE_INTEGER:
        return int(value)
    return value


def _as_datetime(value: Any, _spec: TypeSpec) -> str | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        if not math.isfinite(value) or abs(value) > 253_402_300_799:
            return None
        return isoformat(datetime.fromtimestamp(value, UTC))
    if isinstance(value, str):
        parsed = _parse_datetime(value)
        return isoformat(parsed) if parsed else None
    return None


def _parse_datetime(text: str) -> datetime | None:
    """ISO-8601 date-time (naive means UTC) or date (midnight UTC)."""
    if _ISO_DATE.fullmatch(text):
        try:
            day = date.fromisoformat(text)
        except ValueError:
            return None
        return datetime(day.year, day.month, day.day, tzinfo=UTC)
    match = _ISO_DATETIME.fullmatch(text)
    if not match:
        return None
    day_text, clock, fraction, zone = match.groups()
    normalised = f"{day_text}T{clock}"
    if fraction:
        normalised += "." + fraction[:6].ljust(6, "0")
    if zone and zone.upper() != "Z":
        normalised += zone
    try:
        moment = datetime.fromisoformat(normalised)
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


_CONVERTERS = {
    AttributeType.STRING: _as_string,
    AttributeType.ENUM: _as_enum,
    AttributeType.BOOLEAN: _as_boolean,
    AttributeType.NUMBER: _as_number,
    AttributeType.DATETIME: _as_datetime,
    AttributeType.OBJECT: as_object,
    AttributeType.ARRAY: as_array,
}
