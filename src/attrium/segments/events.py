"""The event condition: `{"event": {"name", "at_least"?, "within_last_days"?}}`.

It holds when the customer performed the event `name` at least `at_least` times
(default 1) within the last `within_last_days` days (left out: ever), counted from
the event entries of its activity (`events.conditions`) by when each happened.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement

from attrium.events import conditions

Fail = Callable[[str, str, str], None]
MAX_AT_LEAST = 1_000_000
MAX_NAME_BYTES = 255
_FIELDS = ("name", "at_least", "within_last_days")


@dataclass(frozen=True, slots=True)
class EventCondition:
    name: str
    at_least: int = 1
    within_last_days: float | None = None


def event_sql(backend: str, condition: EventCondition, now: datetime) -> ColumnElement[bool]:
    days = condition.within_last_days
    since = None if days is None else now - timedelta(days=days)
    return conditions.performed(backend, condition.name, condition.at_least, since, now)


def parse_event(spec: Any, field: str, max_days: int, fail: Fail) -> EventCondition | None:
    if not isinstance(spec, dict) or "name" not in spec:
        fail(field, "predicate.type", 'event takes {"name", "at_least"?, "within_last_days"?}')
        return None
    broken = False
    for key in spec:
        if key not in _FIELDS:
            fail(f"{field}.{key}", "predicate.unknown_field", f"unknown field {key!r}")
            broken = True
    name, at_least, days = spec["name"], spec.get("at_least", 1), spec.get("within_last_days")
    if not isinstance(name, str) or not name.strip() or "\x00" in name:
        fail(f"{field}.name", "value.type", "name is an event's name, a non-empty string")
        broken = True
    elif len(name.encode()) > MAX_NAME_BYTES:
        fail(f"{field}.name", "value.length", f"an event name holds at most {MAX_NAME_BYTES} bytes")
        broken = True
    if isinstance(at_least, bool) or not isinstance(at_least, int):
        fail(f"{field}.at_least", "value.type", "at_least takes a whole number")
        broken = True
    elif not 1 <= at_least <= MAX_AT_LEAST:
        fail(f"{field}.at_least", "value.range", f"at_least lies between 1 and {MAX_AT_LEAST}")
        broken = True
    if days is not None and (isinstance(days, bool) or not isinstance(days, int | float)):
        fail(f"{field}.within_last_days", "value.type", "within_last_days takes a number of days")
        broken = True
    elif days is not None and not 0 < days <= max_days:
        message = f"days lie between 0 (excluded) and {max_days}"
        fail(f"{field}.within_last_days", "value.range", message)
        broken = True
    return None if broken else EventCondition(name, at_least, days)
