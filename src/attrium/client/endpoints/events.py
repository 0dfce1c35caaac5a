"""Customers' events (activity entries of type `event`) and devices."""

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from attrium.client.calls import items, model, nothing
from attrium.client.declare import Request, endpoint
from attrium.client.models import ActivityEntry, Device


def _event(
    name: str,
    data: Mapping[str, Any] | None,
    timestamp: datetime | None,
    event_id: str | None,
) -> dict[str, Any]:
    body: dict[str, Any] = {"name": name, "data": dict(data or {})}
    if timestamp is not None:
        body["timestamp"] = timestamp.isoformat()
    if event_id is not None:
        body["id"] = event_id
    return body


@endpoint("POST", "/v1/customers/{ref}/events")
def record_event(
    ref: str,
    name: str,
    data: Mapping[str, Any] | None = None,
    *,
    timestamp: datetime | None = None,
    event_id: str | None = None,
) -> Request[ActivityEntry]:
    """Record what the customer did (`timestamp`: when, with a time zone; default now)."""
    return Request(model(ActivityEntry), json=_event(name, data, timestamp, event_id))


@endpoint("POST", "/v1/events")
def record_anonymous_event(
    name: str,
    data: Mapping[str, Any] | None = None,
    *,
    anonymous_id: str | None = None,
    timestamp: datetime | None = None,
    event_id: str | None = None,
) -> Request[ActivityEntry]:
    """An event of the customer holding `anonymous_id`, else kept unattached."""
    body = _event(name, data, timestamp, event_id)
    if anonymous_id is not None:
        body["anonymous_id"] = anonymous_id
    return Request(model(ActivityEntry), json=body)


@endpoint("GET", "/v1/customers/{ref}/devices")
def list_devices(ref: str) -> Request[list[Device]]:
    """The customer's devices, in id order."""
    return Request(items(Device))


@endpoint("PUT", "/v1/customers/{ref}/devices/{device_id}")
def put_device(
    ref: str,
    device_id: str,
    platform: str,
    *,
    last_used: datetime | None = None,
    attributes: Mapping[str, Any] | None = None,
) -> Request[Device]:
    """Add a device (platform `ios` or `android`) or update the customer's device of that id."""
    body: dict[str, Any] = {"platform": platform, "attributes": dict(attributes or {})}
    if last_used is not None:
        body["last_used"] = last_used.isoformat()
    return Request(model(Device), json=body)


@endpoint("DELETE", "/v1/customers/{ref}/devices/{device_id}")
def delete_device(ref: str, device_id: str) -> Request[None]:
    """Remove the customer's device."""
    return Request(nothing)
