"""Wire models for templates."""

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from attrium.core.schemas import InputModel
from attrium.templates.service import Template

CUSTOMER_DESCRIPTION = (
    "the customer: external id, or email:…, phone:…, profile:…, custom:NAME:VALUE"
)


class RenderIn(InputModel):
    template: str = Field(description="Liquid source; the customer is `customer`")
    customer: str = Field(description=CUSTOMER_DESCRIPTION)


class RenderSavedIn(InputModel):
    customer: str = Field(description=CUSTOMER_DESCRIPTION)


class RenderedOut(BaseModel):
    rendered: str


class PreviewIn(InputModel):
    segment: str = Field(description="a saved segment's id")
    limit: int = Field(default=10, ge=1, le=50)


class PreviewItem(BaseModel):
    profile_id: str
    id: str | None
    rendered: str


class PreviewOut(BaseModel):
    items: list[PreviewItem]


class TemplateIn(InputModel):
    name: str
    description: str | None = None
    body: str = Field(description="Liquid source")


class TemplatePatch(InputModel):
    name: str | None = None
    description: str | None = None
    body: str | None = None


class TemplateOut(BaseModel):
    id: str
    name: str
    description: str | None
    body: str
    created_at: datetime
    updated_at: datetime


class TemplatePage(BaseModel):
    items: list[TemplateOut]
    next_cursor: str | None


def template_body(template: Template) -> dict[str, Any]:
    return {
        "id": template.template_id,
        "name": template.name,
        "description": template.description,
        "body": template.body,
        "created_at": template.created_at,
        "updated_at": template.updated_at,
    }
