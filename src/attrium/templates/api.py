"""Template routes (`/v1/templates`): render, saved templates, preview for a segment."""

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from attrium.auth.actor import Actor
from attrium.auth.api import requires
from attrium.auth.scopes import Scope
from attrium.core.deps import DatabaseDep, SettingsDep
from attrium.core.errors import FieldError, ValidationFailed
from attrium.core.http import JsonRoute
from attrium.core.jsonio import JsonResponse
from attrium.core.schemas import PROBLEM_RESPONSES
from attrium.customers.identity import CustomerRef, parse_ref
from attrium.templates import service
from attrium.templates.schemas import (
    PreviewIn,
    PreviewOut,
    RenderedOut,
    RenderIn,
    RenderSavedIn,
    TemplateIn,
    TemplateOut,
    TemplatePage,
    TemplatePatch,
    template_body,
)

Reader = Annotated[Actor, Depends(requires(Scope.ATTRIBUTES_READ))]
Writer = Annotated[Actor, Depends(requires(Scope.ATTRIBUTES_WRITE))]
Limit = Annotated[int | None, Query(ge=1, le=1000)]

router = APIRouter(
    prefix="/v1/templates", tags=["templates"], route_class=JsonRoute, responses=PROBLEM_RESPONSES
)


def _customer_ref(text: str, max_bytes: int) -> CustomerRef:
    """The body's `customer` as a reference; its errors name the body field."""
    try:
        return parse_ref(text, max_bytes)
    except ValidationFailed as error:
        renamed = [FieldError("customer", e.rule, e.message) for e in error.errors]
        raise ValidationFailed(error.detail, renamed) from error


@router.post("/render", response_model=RenderedOut)
async def render(body: RenderIn, db: DatabaseDep, settings: SettingsDep, actor: Reader) -> Response:
    """Render Liquid for one customer; template errors are 422 with line and column."""
    ref = _customer_ref(body.customer, settings.max_identifier_bytes)
    return JsonResponse({"rendered": await service.render(db, actor, body.template, ref)})


@router.post("", response_model=TemplateOut, status_code=201)
async def create_template(body: TemplateIn, db: DatabaseDep, actor: Writer) -> Response:
    template = await service.create(db, actor, body.name, body.description, body.body)
    headers = {"Location": f"/v1/templates/{template.template_id}"}
    return JsonResponse(template_body(template), status_code=201, headers=headers)


@router.get("", response_model=TemplatePage)
async def list_templates(
    db: DatabaseDep,
    settings: SettingsDep,
    actor: Reader,
    limit: Limit = None,
    cursor: str | None = None,
) -> Response:
    page = await service.list_templates(db, actor, cursor, limit or settings.default_page_size)
    items = [template_body(template) for template in page.items]
    return JsonResponse({"items": items, "next_cursor": page.next_cursor})


@router.get("/{template_id}", response_model=TemplateOut)
async def get_template(template_id: str, db: DatabaseDep, actor: Reader) -> Response:
    return JsonResponse(template_body(await service.get(db, actor, template_id)))


@router.patch("/{template_id}", response_model=TemplateOut)
async def update_template(
    template_id: str, body: TemplatePatch, db: DatabaseDep, actor: Writer
) -> Response:
    changes = {name: getattr(body, name) for name in body.model_fields_set}
    return JsonResponse(template_body(await service.update(db, actor, template_id, changes)))


@router.delete("/{template_id}", status_code=204)
async def delete_template(template_id: str, db: DatabaseDep, actor: Writer) -> Response:
    await service.delete(db, actor, template_id)
    return Response(status_code=204)


@router.post("/{template_id}/render", response_model=RenderedOut)
async def render_saved(
    template_id: str, body: RenderSavedIn, db: DatabaseDep, settings: SettingsDep, actor: Reader
) -> Response:
    ref = _customer_ref(body.customer, settings.max_identifier_bytes)
    return JsonResponse({"rendered": await service.render_saved(db, actor, template_id, ref)})


@router.post("/{template_id}/preview", response_model=PreviewOut)
async def preview(template_id: str, body: PreviewIn, db: DatabaseDep, actor: Reader) -> Response:
    """The template rendered for a saved segment's first `limit` members."""
    rendered = await service.preview(db, actor, template_id, body.segment, body.limit)
    items = [
        {"profile_id": item.customer.profile_id, "id": item.customer.id, "rendered": item.text}
        for item in rendered
    ]
    return JsonResponse({"items": items})
