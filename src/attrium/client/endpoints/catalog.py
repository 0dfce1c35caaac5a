"""The attribute catalog (`/v1/attributes`)."""

from typing import Any

from attrium.client.calls import items, model, nothing
from attrium.client.declare import Request, endpoint, given, query
from attrium.client.models import Attribute


@endpoint("GET", "/v1/attributes")
def list_attributes() -> Request[list[Attribute]]:
    """The catalog: each attribute with its type, source, freshness and customer count."""
    return Request(items(Attribute))


@endpoint("GET", "/v1/attributes/{name}")
def get_attribute(name: str) -> Request[Attribute]:
    return Request(model(Attribute))


@endpoint("POST", "/v1/attributes")
def define_attribute(name: str, type: str, **options: Any) -> Request[Attribute]:
    """Declare an attribute; `options`: enum_values, default, description, max_length."""
    return Request(model(Attribute), json=given(name=name, type=type, **options))


@endpoint("PATCH", "/v1/attributes/{name}")
def update_attribute(name: str, **changes: Any) -> Request[Attribute]:
    """Change the description, default, enum values or max_length (None resets one)."""
    return Request(model(Attribute), json=changes)


@endpoint("DELETE", "/v1/attributes/{name}")
def delete_attribute(name: str, *, purge: bool = False) -> Request[None]:
    """Remove a definition; `purge=True` removes its values from every customer too."""
    return Request(nothing, params=query(purge="true" if purge else None))
