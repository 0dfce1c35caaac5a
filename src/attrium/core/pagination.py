"""Opaque cursors for keyset pagination."""

import base64
import binascii
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import orjson

from attrium.core.errors import FieldError, ValidationFailed

Item = TypeVar("Item")


@dataclass(frozen=True, slots=True)
class Page(Generic[Item]):
    items: list[Item]
    next_cursor: str | None


def encode_cursor(position: Any) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(position)).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> Any:
    if cursor is None:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        return orjson.loads(base64.urlsafe_b64decode(padded.encode()))
    except (binascii.Error, orjson.JSONDecodeError, ValueError, UnicodeEncodeError) as error:
        raise ValidationFailed(
            "the cursor is not one this server gave out",
            [FieldError("cursor", "format", "pass next_cursor from a previous page unchanged")],
        ) from error


def cursor_string(cursor: str | None) -> str | None:
    """A decoded cursor that must be a string (an id to continue after)."""
    position = decode_cursor(cursor)
    if position is not None and not isinstance(position, str):
        raise ValidationFailed(
            "the cursor is not one this server gave out",
            [FieldError("cursor", "format", "pass next_cursor from a previous page unchanged")],
        )
    return position
