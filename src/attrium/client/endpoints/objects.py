"""Object types, objects and customers' relationships to them."""

from collections.abc import Mapping, Sequence
from typing import Any

from attrium.client.calls import Page, items, model, nothing, page
from attrium.client.declare import Request, endpoint, listing, query
from attrium.client.models import ObjectRecord, ObjectType, Relationship


@endpoint("GET", "/v1/object-types")
def list_object_types() -> Request[list[ObjectType]]:
    return Request(items(ObjectType))


@endpoint("POST", "/v1/object-types")
def create_object_type(name: str) -> Request[ObjectType]:
    """An object type such as "Companies"; its id is a string-formatted integer."""
    return Request(model(ObjectType), json={"name": name})


@endpoint("GET", "/v1/object-types/{type_id}")
def get_object_type(type_id: str) -> Request[ObjectType]:
    return Request(model(ObjectType))


@listing("GET", "/v1/objects/{type_id}")
def iter_objects(type_id: str, page_size: int | None = None) -> Request[Page[ObjectRecord]]:
    """Every object of a type."""
    return Request(page(ObjectRecord), params=query(limit=page_size))


@endpoint("PUT", "/v1/objects/{type_id}/{object_id}")
def put_object(
    type_id: str, object_id: str, attributes: Mapping[str, Any] | None = None
) -> Request[ObjectRecord]:
    """Create the object, or merge attributes into it (None removes one)."""
    return Request(model(ObjectRecord), json={"attributes": dict(attributes or {})})


@endpoint("GET", "/v1/objects/{type_id}/{object_id}")
def get_object(type_id: str, object_id: str) -> Request[ObjectRecord]:
    return Request(model(ObjectRecord))


@endpoint("DELETE", "/v1/objects/{type_id}/{object_id}")
def delete_object(type_id: str, object_id: str) -> Request[None]:
    """Remove the object and every relationship to it."""
    return Request(nothing)


@endpoint("GET", "/v1/objects/{type_id}/{object_id}/relationships")
def list_object_relationships(type_id: str, object_id: str) -> Request[list[Relationship]]:
    """The customers related to the object, with the relationships' attributes."""
    return Request(items(Relationship))


@endpoint("GET", "/v1/customers/{ref}/relationships")
def list_relationships(ref: str) -> Request[list[Relationship]]:
    """The objects a customer is related to."""
    return Request(items(Relationship))


@endpoint("PATCH", "/v1/customers/{ref}/relationships")
def change_relationships(
    ref: str,
    *,
    add: Sequence[Mapping[str, Any]] = (),
    delete: Sequence[Mapping[str, str]] = (),
) -> Request[list[Relationship]]:
    """Add or update (`{"object_type_id", "object_id", "attributes"}`) and delete
    (`{"object_type_id", "object_id"}`) relationships, all or nothing; the customer's after."""
    body = {"add": [dict(item) for item in add], "delete": [dict(item) for item in delete]}
    return Request(items(Relationship), json=body)
