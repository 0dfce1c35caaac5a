"""History routes: the values one attribute of a customer took."""

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel

from attrium.auth.actor import Actor
from attrium.auth.api import requires
from attrium.auth.scopes import Scope
from attrium.core.deps import DatabaseDep, SettingsDep
from attrium.core.http import JsonRoute
from attrium.core.jsonio import JsonResponse
from attrium.core.pagination import cursor_string, encode_cursor
from attrium.core.schemas import PROBLEM_RESPONSES
from attrium.customers.identity import parse_ref
from attrium.history import service
from attrium.history.service import HeldValue

Reader = Annotated[Actor, Depends(requires(Scope.ATTRIBUTES_READ))]
Limit = Annotated[int | None, Query(ge=1, le=1000)]

router = APIRouter(tags=["customers"], route_class=JsonRoute, responses=PROBLEM_RESPONSES)


class HeldValueOut(BaseModel):
    value: Any
    previous: Any
    changed_at: datetime
    source: str
    key_id: str | None
    activity_id: str
    type: str


class HeldValuePage(BaseModel):
    items: list[HeldValueOut]
    next_cursor: str | None


@router.get(
    "/v1/customers/{customer_id}/attributes/{name:path}/history", response_model=HeldValuePage
)
async def attribute_history(
    customer_id: str,
    name: str,
    db: DatabaseDep,
    settings: SettingsDep,
    actor: Reader,
    limit: Limit = None,
    cursor: str | None = None,
) -> Response:
    """Every value the attribute held, newest first: when, and by which source and key
    (`value` null: removed). A merged-in customer's values are not the primary's."""
    ref = parse_ref(customer_id, settings.max_identifier_bytes)
    values, last = await service.attribute_history(
        db, actor, ref, name, cursor_string(cursor), limit or settings.default_page_size
    )
    items = [_body(value) for value in values]
    next_cursor = encode_cursor(last) if last is not None else None
    return JsonResponse({"items": items, "next_cursor": next_cursor})


def _body(held: HeldValue) -> dict[str, Any]:
    return {
        "value": held.value,
        "previous": held.previous,
        "changed_at": held.changed_at,
        "source": held.source,
        "key_id": held.key_id,
        "activity_id": held.activity_id,
        "type": held.type,
    }
