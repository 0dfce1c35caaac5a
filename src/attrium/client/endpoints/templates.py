"""Liquid templates (`/v1/templates`)."""

from typing import Any

from attrium.client.calls import Page, field_of, items, model, nothing, page
from attrium.client.declare import Request, endpoint, given, listing, query
from attrium.client.models import RenderedTemplate, Template


@endpoint("POST", "/v1/templates/render")
def render_template(template: str, customer: str) -> Request[str]:
    """Render Liquid source for one customer (any reference)."""
    body = {"template": template, "customer": customer}
    return Request(field_of("rendered", str), json=body)


@endpoint("POST", "/v1/templates")
def create_template(name: str, body: str, *, description: str | None = None) -> Request[Template]:
    """Save Liquid source under a name."""
    return Request(model(Template), json=given(name=name, body=body, description=description))


@listing("GET", "/v1/templates")
def iter_templates(page_size: int | None = None) -> Request[Page[Template]]:
    return Request(page(Template), params=query(limit=page_size))


@endpoint("GET", "/v1/templates/{template_id}")
def get_template(template_id: str) -> Request[Template]:
    return Request(model(Template))


@endpoint("PATCH", "/v1/templates/{template_id}")
def update_template(template_id: str, **changes: Any) -> Request[Template]:
    """Change `name`, `description` or `body`."""
    return Request(model(Template), json=changes)


@endpoint("DELETE", "/v1/templates/{template_id}")
def delete_template(template_id: str) -> Request[None]:
    return Request(nothing)


@endpoint("POST", "/v1/templates/{template_id}/render")
def render_saved_template(template_id: str, customer: str) -> Request[str]:
    """Render a saved template for one customer."""
    return Request(field_of("rendered", str), json={"customer": customer})


@endpoint("POST", "/v1/templates/{template_id}/preview")
def preview_template(
    template_id: str, segment: str, limit: int = 10
) -> Request[list[RenderedTemplate]]:
    """The template rendered for a saved segment's first `limit` members."""
    body = {"segment": segment, "limit": limit}
    return Request(items(RenderedTemplate), json=body)
