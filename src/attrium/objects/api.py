"""Native routes for object types, objects and customers' relationships."""

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from attrium.attributes.models import limits_for
from attrium.auth.actor import Actor
from attrium.auth.api import requires
from attrium.auth.scopes import Scope
from attrium.core.deps import DatabaseDep, SettingsDep
from attrium.core.http import JsonRoute
from attrium.core.jsonio import JsonResponse
from attrium.core.schemas import PROBLEM_RESPONSES
from attrium.customers.identity import parse_ref
from attrium.objects import service
from attrium.objects.models import ObjectKey
from attrium.objects.schemas import (
    ObjectIn,
    ObjectOut,
    ObjectPage,
    ObjectTypeIn,
    ObjectTypeList,
    ObjectTypeOut,
    RelationshipList,
    RelationshipsChange,
    object_body,
    object_type_body,
    relationship_body,
)

Reader = Annotated[Actor, Depends(requires(Scope.ATTRIBUTES_READ))]
Writer = Annotated[Actor, Depends(requires(Scope.ATTRIBUTES_WRITE))]
WorkspaceAdmin = Annotated[Actor, Depends(requires(Scope.WORKSPACE_ADMIN))]
Limit = Annotated[int | None, Query(ge=1, le=1000)]


def _router(prefix: str) -> APIRouter:
    return APIRouter(
        prefix=prefix, tags=["objects"], route_class=JsonRoute, responses=PROBLEM_RESPONSES
    )


types_router = _router("/v1/object-types")
objects_router = _router("/v1/objects")
customer_router = _router("/v1/customers")
routers = (types_router, objects_router, customer_router)


@types_router.get("", response_model=ObjectTypeList)
async def list_object_types(db: DatabaseDep, actor: Reader) -> Response:
    types = await service.list_object_types(db, actor)
    return JsonResponse({"items": [object_type_body(item) for item in types]})


@types_router.post("", status_code=201, response_model=ObjectTypeOut)
async def create_object_type(
    body: ObjectTypeIn, db: DatabaseDep, actor: WorkspaceAdmin
) -> Response:
    """An object type; ids are string-formatted integers from "1"."""
    created = await service.create_object_type(db, actor, body.name)
    return JsonResponse(object_type_body(created), status_code=201)


@types_router.get("/{type_id}", response_model=ObjectTypeOut)
async def get_object_type(type_id: str, db: DatabaseDep, actor: Reader) -> Response:
    return JsonResponse(object_type_body(await service.get_object_type(db, actor, type_id)))


@objects_router.get("/{type_id}", response_model=ObjectPage)
async def list_objects(
    type_id: str,
    db: DatabaseDep,
    settings: SettingsDep,
    actor: Reader,
    limit: Limit = None,
    cursor: str | None = None,
) -> Response:
    page = await service.list_objects(
        db, actor, type_id, cursor, limit or settings.default_page_size
    )
    return JsonResponse(
        {"items": [object_body(item) for item in page.items], "next_cursor": page.next_cursor}
    )


@objects_router.put(
    "/{type_id}/{object_id}",
    response_model=ObjectOut,
    responses={201: {"model": ObjectOut, "description": "created"}},
)
async def put_object(
    type_id: str,
    object_id: str,
    body: ObjectIn,
    db: DatabaseDep,
    settings: SettingsDep,
    actor: Writer,
) -> Response:
    """Create the object (201) or merge attributes into it (200)."""
    record, created = await service.upsert_object(
        db,
        actor,
        ObjectKey(type_id, object_id),
        body.attributes,
        limits_for(actor, settings),
        settings.max_identifier_bytes,
    )
    return JsonResponse(object_body(record), status_code=201 if created else 200)


@objects_router.get("/{type_id}/{object_id}", response_model=ObjectOut)
async def get_object(type_id: str, object_id: str, db: DatabaseDep, actor: Reader) -> Response:
    return JsonResponse(
        object_body(await service.get_object(db, actor, ObjectKey(type_id, object_id)))
    )


@objects_router.delete("/{type_id}/{object_id}", status_code=204)
async def delete_object(type_id: str, object_id: str, db: DatabaseDep, actor: Writer) -> Response:
    """Remove the object and every relationship to it."""
    await service.delete_object(db, actor, ObjectKey(type_id, object_id))
    return Response(status_code=204)


@objects_router.get("/{type_id}/{object_id}/relationships", response_model=RelationshipList)
async def object_relationships(
    type_id: str, object_id: str, db: DatabaseDep, actor: Reader
) -> Response:
    """The customers related to the object, with their relationship attributes."""
    found = await service.related_customers(db, actor, ObjectKey(type_id, object_id))
    return JsonResponse({"items": [relationship_body(item) for item in found]})


@customer_router.get("/{customer_id}/relationships", response_model=RelationshipList)
async def customer_relationships(
    customer_id: str, db: DatabaseDep, settings: SettingsDep, actor: Reader
) -> Response:
    ref = parse_ref(customer_id, settings.max_identifier_bytes)
    found = await service.relationships_of(db, actor, ref)
    return JsonResponse({"items": [relationship_body(item) for item in found]})


@customer_router.patch("/{customer_id}/relationships", response_model=RelationshipList)
async def change_relationships(
    customer_id: str,
    body: RelationshipsChange,
    db: DatabaseDep,
    settings: SettingsDep,
    actor: Writer,
) -> Response:
    """Add (or update) and delete relationships in one batch, all or nothing."""
    ref = parse_ref(customer_id, settings.max_identifier_bytes)
    found = await service.change_relationships(
        db,
        actor,
        ref,
        [item.to_input() for item in body.add],
        [item.to_key() for item in body.delete],
        limits_for(actor, settings),
        settings.max_identifier_bytes,
    )
    return JsonResponse({"items": [relationship_body(item) for item in found]})
