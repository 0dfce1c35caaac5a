"""Native catalog routes (`/v1/attributes`)."""

from typing import Annotated

from fastapi import APIRouter, Depends, Response

from attrium.attributes import service
from attrium.attributes.models import DefinitionInput, limits_for
from attrium.attributes.schemas import (
    AttributeChange,
    AttributeIn,
    AttributeList,
    AttributeOut,
    attribute_body,
)
from attrium.auth.actor import Actor
from attrium.auth.api import requires
from attrium.auth.scopes import Scope
from attrium.core.deps import DatabaseDep, SettingsDep
from attrium.core.http import JsonRoute
from attrium.core.jsonio import JsonResponse
from attrium.core.schemas import PROBLEM_RESPONSES

Reader = Annotated[Actor, Depends(requires(Scope.ATTRIBUTES_READ))]
CatalogAdmin = Annotated[Actor, Depends(requires(Scope.CATALOG_ADMIN))]

router = APIRouter(
    prefix="/v1/attributes", tags=["attributes"], route_class=JsonRoute, responses=PROBLEM_RESPONSES
)


@router.get("", response_model=AttributeList)
async def list_attributes(db: DatabaseDep, actor: Reader) -> Response:
    entries = await service.catalog(db, actor)
    return JsonResponse({"items": [attribute_body(entry) for entry in entries]})


@router.post("", status_code=201, response_model=AttributeOut)
async def define_attribute(
    body: AttributeIn, db: DatabaseDep, settings: SettingsDep, actor: CatalogAdmin
) -> Response:
    """Declare an attribute: its type, enum values, default and description."""
    definition = DefinitionInput(
        name=body.name,
        type=body.type,
        enum_values=body.enum_values,
        default=body.default,
        description=body.description,
        max_length=body.max_length,
    )
    entry = await service.define_attribute(db, actor, definition, limits_for(actor, settings))
    return JsonResponse(attribute_body(entry), status_code=201)


@router.get("/{name:path}", response_model=AttributeOut)
async def get_attribute(name: str, db: DatabaseDep, actor: Reader) -> Response:
    return JsonResponse(attribute_body(await service.catalog_entry(db, actor, name)))


@router.patch("/{name:path}", response_model=AttributeOut)
async def change_attribute(
    name: str, body: AttributeChange, db: DatabaseDep, settings: SettingsDep, actor: CatalogAdmin
) -> Response:
    """Change the description, default or enum values; the type only while unused."""
    entry = await service.update_attribute(
        db, actor, name, limits_for(actor, settings), body.changes()
    )
    return JsonResponse(attribute_body(entry))


@router.delete("/{name:path}", status_code=204)
async def delete_attribute(
    name: str, db: DatabaseDep, actor: CatalogAdmin, purge: bool = False
) -> Response:
    """Remove a definition; with purge=true, remove its values from every customer too."""
    await service.delete_attribute(db, actor, name, purge=purge)
    return Response(status_code=204)
