"""What a Track API event or device request says, as native service inputs.

The official Python client (customerio/track.py) sends `track` and `backfill` as
`POST /customers/{id}/events` `{"name", "data", "id"?, "timestamp"?}`, `pageview`
as the same with `"type": "page"`, `track_anonymous` as `POST /events` with an
`anonymous_id` when it has one, `add_device` as `PUT /customers/{id}/devices`
`{"device": {"id", "platform", ...}}` and `delete_device` as
`DELETE /customers/{id}/devices/{device_id}`; times are Unix seconds.
"""

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from attrium.core.errors import FieldError, ValidationFailed
from attrium.customers.identity import IdentifierKind, normalise
from attrium.devices.models import DeviceInput
from attrium.dialects.customerio.people import MAX_IDENTIFIER_BYTES
from attrium.events.models import EventInput

_EVENT_FIELDS = frozenset({"name", "data", "id", "timestamp", "type"})
_EVENT_TYPES = frozenset({"event", "page", "screen"})
_DEVICE_FIELDS = frozenset({"id", "platform", "last_used", "attributes"})
# Unix seconds up to the end of year 9999.
_LATEST_SECONDS = 253_402_300_799


def event_of(body: dict[str, Any]) -> EventInput:
    """A person's event: `{"name", "data"?, "id"?, "timestamp"?, "type"?}`."""
    _refuse_unknown(body, _EVENT_FIELDS, "")
    return _event(body)


def anonymous_event_of(body: dict[str, Any]) -> tuple[EventInput, str | None]:
    """An anonymous event: an event's fields and `anonymous_id` (absent: nobody's)."""
    _refuse_unknown(body, _EVENT_FIELDS | {"anonymous_id"}, "")
    given = body.get("anonymous_id")
    anonymous_id = None
    if given not in (None, ""):
        text = _string(body, "anonymous_id", "anonymous_id")
        kind = IdentifierKind.ANONYMOUS_ID
        anonymous_id = normalise(kind, text, "anonymous_id", MAX_IDENTIFIER_BYTES)
    return _event(body), anonymous_id


def device_of(body: dict[str, Any]) -> DeviceInput:
    """`{"device": {"id", "platform", "last_used"?, "attributes"?}}`."""
    device = body.get("device")
    if not isinstance(device, dict):
        raise _invalid("device", "device.required", "send the device as an object in 'device'")
    _refuse_unknown(body, frozenset({"device"}), "")
    _refuse_unknown(device, _DEVICE_FIELDS, "device.")
    for name in ("id", "platform"):
        if device.get(name) in (None, ""):
            raise _invalid(f"device.{name}", "required", f"device.{name} is required")
    attributes = device.get("attributes") or {}
    if not isinstance(attributes, dict):
        raise _invalid("device.attributes", "type", "device.attributes must be an object")
    return DeviceInput(
        device_id=_string(device, "id", "device.id"),
        platform=_string(device, "platform", "device.platform"),
        last_used=_moment(device.get("last_used"), "device.last_used"),
        attributes=attributes,
    )


def under_device(refused: ValidationFailed) -> ValidationFailed:
    """The device service's refusal, its fields named where the body holds them."""
    errors = [replace(error, field=f"device.{error.field}") for error in refused.errors]
    return ValidationFailed(refused.detail, errors)


def _event(body: dict[str, Any]) -> EventInput:
    if body.get("name") in (None, ""):
        raise _invalid("name", "required", "an event needs a name")
    data = body.get("data")
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise _invalid("data", "type", "data must be an object")
    kind = body.get("type")
    if kind is not None and kind not in _EVENT_TYPES:
        raise _invalid("type", "type.unknown", f"type is one of {', '.join(sorted(_EVENT_TYPES))}")
    event_id = None if body.get("id") is None else _string(body, "id", "id")
    return EventInput(
        name=_string(body, "name", "name"),
        data=data,
        timestamp=_moment(body.get("timestamp"), "timestamp"),
        event_id=event_id,
        kind=kind,
    )


def _moment(value: Any, field: str) -> datetime | None:
    """Unix seconds, as the client sends every time."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _invalid(field, "type", f"{field} must be a Unix timestamp in seconds")
    if not 0 <= value <= _LATEST_SECONDS:
        raise _invalid(field, "range", f"{field} must lie between 0 and {_LATEST_SECONDS}")
    return datetime.fromtimestamp(value, UTC)


def _string(body: dict[str, Any], name: str, field: str) -> str:
    value = body[name]
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str):
        raise _invalid(field, "type", f"{field} must be a string")
    return value


def _refuse_unknown(body: dict[str, Any], known: frozenset[str], prefix: str) -> None:
    unknown = sorted(set(body) - known)
    if unknown:
        message = f"unknown field {prefix}{unknown[0]}; known: {', '.join(sorted(known))}"
        errors = [FieldError(f"{prefix}{name}", "unknown", message) for name in unknown]
        raise ValidationFailed(message, errors)


def _invalid(field: str, rule: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, [FieldError(field, rule, message)])
