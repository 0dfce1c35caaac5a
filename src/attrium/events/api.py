"""Native event routes: record what a customer did (read back from `/v1/activity`)."""

from typing import Annotated

from fastapi import APIRouter, Depends, Response

from attrium.activity.schemas import ActivityOut
from attrium.auth.actor import Actor
from attrium.auth.api import requires
from attrium.auth.scopes import Scope
from attrium.core.deps import DatabaseDep, SettingsDep
from attrium.core.http import JsonRoute
from attrium.core.jsonio import JsonResponse
from attrium.core.schemas import PROBLEM_RESPONSES
from attrium.customers.identity import IdentifierKind, normalise, parse_ref
from attrium.events import service
from attrium.events.schemas import AnonymousEventIn, EventIn

Writer = Annotated[Actor, Depends(requires(Scope.ATTRIBUTES_WRITE))]

router = APIRouter(
    prefix="/v1", tags=["events"], route_class=JsonRoute, responses=PROBLEM_RESPONSES
)


@router.post("/customers/{customer_id}/events", status_code=201, response_model=ActivityOut)
async def record_event(
    customer_id: str, body: EventIn, db: DatabaseDep, settings: SettingsDep, actor: Writer
) -> Response:
    """Record an event of the customer: an `event` entry of its activity."""
    ref = parse_ref(customer_id, settings.max_identifier_bytes)
    entry = await service.record(db, actor, ref, body.to_input())
    return JsonResponse(entry, status_code=201)


@router.post("/events", status_code=201, response_model=ActivityOut)
async def record_anonymous_event(
    body: AnonymousEventIn, db: DatabaseDep, settings: SettingsDep, actor: Writer
) -> Response:
    """Record an event naming an anonymous id: the event of the customer holding it,
    else kept unattached."""
    anonymous_id = body.anonymous_id
    if anonymous_id is not None:
        kind = IdentifierKind.ANONYMOUS_ID
        anonymous_id = normalise(kind, anonymous_id, "anonymous_id", settings.max_identifier_bytes)
    entry = await service.record_anonymous(db, actor, anonymous_id, body.to_input())
    return JsonResponse(entry, status_code=201)
