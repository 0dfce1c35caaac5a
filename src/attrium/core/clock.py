"""Time, always timezone-aware UTC."""

from datetime import UTC, datetime
from typing import overload


def utcnow() -> datetime:
    return datetime.now(UTC)


@overload
def isoformat(moment: datetime) -> str: ...
@overload
def isoformat(moment: datetime | None) -> str | None: ...
def isoformat(moment: datetime | None) -> str | None:
    """RFC 3339 in UTC with a `Z`, microseconds only when there are any (None stays None)."""
    if moment is None:
        return None
    text = moment.astimezone(UTC).isoformat()
    return text.replace("+00:00", "Z")
