"""A close name to offer when a request names one that does not exist."""

import difflib
from collections.abc import Iterable, Sequence
from typing import Any, get_args

from pydantic import BaseModel


def did_you_mean(name: str, known: Iterable[str]) -> str:
    """` (did you mean "email"?)` for the closest of `known` to `name`, or nothing."""
    close = difflib.get_close_matches(name, sorted(set(known)), n=1)
    return f' (did you mean "{close[0]}"?)' if close else ""


def field_hint(body: Any, location: Sequence[Any]) -> str:
    """The suggestion for the unknown field at `location` of a `body` model (the
    field's path within the body), from the names of the model that holds it."""
    holder = _model_at(body, location[:-1])
    if holder is None or not location:
        return ""
    names = [info.alias or name for name, info in holder.model_fields.items()]
    return did_you_mean(str(location[-1]), names)


def _model_at(annotation: Any, path: Sequence[Any]) -> type[BaseModel] | None:
    """The model found at `path` (field names and list indexes) from `annotation`."""
    current = _model_in(annotation)
    for part in path:
        if current is None:
            return None
        if isinstance(part, int):
            continue  # an item of the list the previous field holds
        field = current.model_fields.get(str(part))
        current = _model_in(field.annotation) if field is not None else None
    return current


def _model_in(annotation: Any) -> type[BaseModel] | None:
    """The model `annotation` is, or holds (in a list, an optional, a union)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for argument in get_args(annotation):
        found = _model_in(argument)
        if found is not None:
            return found
    return None
