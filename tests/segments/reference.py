"""A Python reference filter: what a predicate means, written independently of the SQL."""

from datetime import UTC, datetime, timedelta
from typing import Any

ORDER = {
    "gt": lambda left, right: left > right,
    "after": lambda left, right: left > right,
    "gte": lambda left, right: left >= right,
    "lt": lambda left, right: left < right,
    "before": lambda left, right: left < right,
    "lte": lambda left, right: left <= right,
}


def instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def matches(
    predicate: dict[str, Any],
    customer: dict[str, Any],
    types: dict[str, str],
    defaults: dict[str, Any],
    now: datetime,
) -> bool:
    if "all" in predicate:
        return all(matches(part, customer, types, defaults, now) for part in predicate["all"])
    if "any" in predicate:
        return any(matches(part, customer, types, defaults, now) for part in predicate["any"])
    if "not" in predicate:
        return not matches(predicate["not"], customer, types, defaults, now)
    if "identifier" in predicate:
        held = customer.get(predicate["identifier"]) is not None
        return held if predicate["op"] == "exists" else not held
    attributes = {**defaults, **customer["attributes"]}
    name, op = predicate["attribute"], predicate["op"]
    if op == "exists":
        return name in attributes
    if op == "not_exists":
        return name not in attributes
    if name not in attributes:
        return False
    return _compare(types[name], op, attributes[name], predicate.get("value"), now)


def _compare(attribute_type: str, op: str, held: Any, wanted: Any, now: datetime) -> bool:
    if attribute_type == "datetime":
        held = instant(held)
        if op == "within_last_days":
            return now - timedelta(days=wanted) <= held <= now
        wanted = [instant(item) for item in wanted] if isinstance(wanted, list) else instant(wanted)
    if op == "eq":
        return bool(held == wanted)
    if op == "neq":
        return bool(held != wanted)
    if op == "in":
        return held in wanted
    if op == "not_in":
        return held not in wanted
    if op == "contains":
        return bool(wanted in held)
    if op == "starts_with":
        return bool(held.startswith(wanted))
    return bool(ORDER[op](held, wanted))
