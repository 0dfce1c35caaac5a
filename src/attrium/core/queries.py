"""Native routes refuse query parameters they do not declare.

A filter the route does not know (`GET /v1/customers?plan=pro`) was ignored, and
the client got every customer as if it had been applied. Dialect routes accept
extra parameters: vendors' clients send them.
"""

from collections.abc import Iterable
from urllib.parse import parse_qsl

from fastapi.dependencies.models import Dependant

from attrium.core.errors import FieldError, MalformedRequest
from attrium.core.suggest import did_you_mean


def declared_query_names(dependant: Dependant) -> frozenset[str]:
    """The query parameters a route reads, its dependencies' included."""
    names: set[str] = set()
    pending = [dependant]
    while pending:
        current = pending.pop()
        names.update(field.alias for field in current.query_params)
        pending.extend(current.dependencies)
    return frozenset(names)


def query_names(query_string: bytes) -> list[str]:
    """The parameter names of a raw query string, as Starlette parses it."""
    pairs = parse_qsl(query_string.decode("latin-1"), keep_blank_values=True)
    return list(dict.fromkeys(name for name, _ in pairs))


def refuse_unknown(sent: Iterable[str], declared: frozenset[str]) -> None:
    """Raise a 400 naming each sent parameter the route does not declare."""
    unknown = [name for name in sent if name not in declared]
    if not unknown:
        return
    takes = ", ".join(sorted(declared)) if declared else "none"
    errors = [
        FieldError(
            f"query.{name}",
            "query.unknown",
            f'unknown query parameter "{name}"{did_you_mean(name, declared)};'
            f" this route takes: {takes}",
        )
        for name in unknown
    ]
    detail = errors[0].message if len(errors) == 1 else f"{len(errors)} unknown query parameters"
    raise MalformedRequest(detail, errors)
