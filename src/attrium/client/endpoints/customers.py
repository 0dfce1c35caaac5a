"""Customers (`/v1/customers`), their activity and the export."""

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import httpx

from attrium.client.calls import Page, field_of, model, nothing, page
from attrium.client.declare import Request, download, endpoint, listing, query
from attrium.client.models import (
    ActivityEntry,
    AttributeChange,
    AttributeValue,
    BatchResult,
    Customer,
)


@endpoint("GET", "/v1/customers/{ref}")
def get_customer(ref: str, *, as_of: datetime | None = None) -> Request[Customer]:
    """By external id or a prefixed reference (`email:…`, `profile:…`, `custom:NAME:VALUE`);
    with `as_of` (a datetime with a time zone), its attributes and identifiers as they
    were then."""
    return Request(model(Customer), params=query(as_of=as_of.isoformat() if as_of else None))


@endpoint("PUT", "/v1/customers/{ref}")
def put_customer(ref: str, **body: Any) -> Request[Customer]:
    """Create or update; `body` is the PUT body (`email=`, `attributes=`, …)."""
    return Request(model(Customer), json=body)


def _results(response: httpx.Response) -> list[BatchResult]:
    return [BatchResult.model_validate(result) for result in response.json()["results"]]


@endpoint("POST", "/v1/customers/batch")
def batch_customers(items: Sequence[Mapping[str, Any]]) -> Request[list[BatchResult]]:
    """Create or update up to 1,000 customers in one request; each item is an NDJSON
    import line (the PUT body plus `id`, or addressed by `email`, `phone` or
    `anonymous_id`). One result per item, in order; a refused item is refused alone."""
    return Request(_results, json={"customers": [dict(item) for item in items]})


@endpoint("PATCH", "/v1/customers/{ref}/attributes")
def patch_attributes(
    ref: str, attributes: dict[str, Any], *, timestamp: datetime | int | None = None
) -> Request[dict[str, Any]]:
    """Merge attributes into an existing customer (None removes); the attributes after.
    With `timestamp` (aware datetime or Unix seconds), an attribute whose value is from
    a later time keeps it."""
    when = timestamp.isoformat() if isinstance(timestamp, datetime) else timestamp
    return Request(field_of("attributes", dict), json=attributes, params=query(timestamp=when))


@endpoint("DELETE", "/v1/customers/{ref}/attributes/{name}")
def delete_customer_attribute(ref: str, name: str) -> Request[None]:
    """Remove one attribute from a customer."""
    return Request(nothing)


@endpoint("DELETE", "/v1/customers/{ref}")
def delete_customer(ref: str) -> Request[None]:
    """Erase the customer and the personal data in its activity."""
    return Request(nothing)


def _first(response: httpx.Response) -> Customer | None:
    found = response.json()["items"]
    return Customer.model_validate(found[0]) if found else None


@endpoint("GET", "/v1/customers")
def find_customer(
    *,
    email: str | None = None,
    phone: str | None = None,
    anonymous_id: str | None = None,
    identifier: str | None = None,
) -> Request[Customer | None]:
    """The customer with this identifier (one of them; `identifier` is NAME:VALUE), or None."""
    return Request(
        _first,
        params=query(email=email, phone=phone, anonymous_id=anonymous_id, identifier=identifier),
    )


@listing("GET", "/v1/customers")
def iter_customers(page_size: int | None = None) -> Request[Page[Customer]]:
    """Every customer, in profile id order."""
    return Request(page(Customer), params=query(limit=page_size))


@listing("GET", "/v1/customers/{ref}/activity")
def iter_activity(ref: str, page_size: int | None = None) -> Request[Page[ActivityEntry]]:
    """The customer's history, newest first."""
    return Request(page(ActivityEntry), params=query(limit=page_size))


@listing("GET", "/v1/customers/{ref}/attributes/{name}/history")
def iter_attribute_history(
    ref: str, name: str, page_size: int | None = None
) -> Request[Page[AttributeValue]]:
    """Every value the customer's attribute held, newest first, with when and by whom."""
    return Request(page(AttributeValue), params=query(limit=page_size))


@listing("GET", "/v1/activity")
def iter_activity_log(
    *,
    customer: str | None = None,
    attribute: str | None = None,
    event: str | None = None,
    types: Sequence[str] | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    page_size: int | None = None,
) -> Request[Page[ActivityEntry]]:
    """The workspace's activity, newest first, filtered (`event`: the events of that
    name); datetimes need a time zone."""
    params = query(
        customer=customer,
        attribute=attribute,
        event=event,
        type=",".join(types) if types else None,
        since=since.isoformat() if since else None,
        until=until.isoformat() if until else None,
        limit=page_size,
    )
    return Request(page(ActivityEntry), params=params)


@listing("GET", "/v1/attributes/{name}/changes")
def iter_attribute_changes(
    name: str,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    page_size: int | None = None,
) -> Request[Page[AttributeChange]]:
    """Customers whose attribute changed in [since, until) (default: the last 24 hours)."""
    params = query(
        since=since.isoformat() if since else None,
        until=until.isoformat() if until else None,
        limit=page_size,
    )
    return Request(page(AttributeChange), params=params)


@download("GET", "/v1/customers/export")
def export_customers(*, format: str = "ndjson", segment: str | None = None) -> Request[None]:
    """Every customer (or a segment's members) as NDJSON or CSV, streamed in chunks."""
    return Request(nothing, params=query(format=format, segment=segment))
