"""JSON in and out: orjson, with the server's nesting limit."""

from typing import Any

import orjson
from fastapi import Response

from attrium.core.errors import FieldError, MalformedRequest

JSON_OPTIONS = orjson.OPT_UTC_Z | orjson.OPT_NON_STR_KEYS


def dump(content: Any) -> bytes:
    return orjson.dumps(content, option=JSON_OPTIONS)


class JsonResponse(Response):
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
