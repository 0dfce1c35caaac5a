"""JSON in and out: orjson, with the server's nesting limit."""

import re
from typing import Any

import orjson
from fastapi.responses import JSONResponse

from attrium.core.errors import FieldError, MalformedRequest

JSON_OPTIONS = orjson.OPT_UTC_Z | orjson.OPT_NON_STR_KEYS

# NUL and lone surrogates: PostgreSQL stores neither in text nor in jsonb.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
REPLACEMENT_CHARACTER = "\ufffd"


def dump(content: Any) -> bytes:
    return orjson.dumps(content, option=JSON_OPTIONS)


class JsonResponse(JSONResponse):
    """orjson rendering; a JSONResponse so that OpenAPI documents the response models."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return dump(content)


def json_depth_exceeds(value: Any, limit: int) -> bool:
    """Whether `value` nests deeper than `limit` arrays or objects (iteratively)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        current, depth = stack.pop()
        children = (
            current.values()
            if isinstance(current, dict)
            else current
            if isinstance(current, list)
            else ()
        )
        for child in children:
            if isinstance(child, dict | list):
                if depth + 1 > limit:
                    return True
                stack.append((child, depth + 1))
    return False


def parse_json(body: bytes, max_depth: int) -> Any:
    try:
        parsed = orjson.loads(body)
    except orjson.JSONDecodeError as error:
        raise MalformedRequest(
            f"the body is not valid JSON: {error}",
            [FieldError("body", "json.syntax", str(error))],
        ) from None
    if json_depth_exceeds(parsed, max_depth):
        raise MalformedRequest(
            f"the body nests deeper than {max_depth} levels",
            [FieldError("body", "json.depth", f"at most {max_depth} levels of nesting")],
        )
    return parsed


def storable(value: Any) -> Any:
    """`value` with every unstorable character of its strings (keys too) replaced by U+FFFD.

    For text that records what a client sent (such as a refused write) rather than
    data the rules already accepted.
    """
    if isinstance(value, str):
        return _UNSTORABLE.sub(REPLACEMENT_CHARACTER, value)
    if isinstance(value, dict):
        return {storable(key): storable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [storable(item) for item in value]
    return value


def storable_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """`storable` of each row, checked for the whole list at once.

    Unstorable characters are rare, so one serialisation decides: orjson refuses
    lone surrogates and escapes NUL as `\\u0000`. A false alarm (a string holding
    that escape as text) only takes the slow path.
    """
    try:
        text = orjson.dumps(rows, default=_opaque, option=orjson.OPT_NON_STR_KEYS)
    except orjson.JSONEncodeError:
        return [storable(row) for row in rows]
    if b"\\u0000" in text:
        return [storable(row) for row in rows]
    return rows


def _opaque(_value: Any) -> None:
    """Values that are not JSON (dates, decimals) hold no string to clean."""
    return None
