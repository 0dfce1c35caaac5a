"""Time, always timezone-aware UTC."""

from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC)


def isoformat(moment: datetime) -> str:
    """RFC 3339 in UTC with a `Z`, microseconds only when there are any."""
    text = moment.astimezone(UTC).isoformat()
    return text.replace("+00:00", "Z")
