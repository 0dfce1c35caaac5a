"""Native activity routes: the filtered log, and attribute changes in a window."""

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response
from pydantic import AwareDatetime, BaseModel

from attrium.activity import queries
from attrium.activity.schemas import ActivityPage
from attrium.auth.actor import Actor
from attrium.auth.api import requires
from attrium.auth.scopes import Scope
from attrium.core.deps import DatabaseDep, SettingsDep
from attrium.core.http import JsonRoute
from attrium.core.jsonio import JsonResponse
from attrium.core.schemas import PROBLEM_RESPONSES
from attrium.customers.identity import parse_ref

Reader = Annotated[Actor, Depends(requires(Scope.ATTRIBUTES_READ))]
Limit = Annotated[int | None, Query(ge=1, le=1000)]
Moment = Annotated[
    AwareDatetime | None, Query(description="ISO 8601 with a zone, such as 2026-05-01T00:00:00Z")
]

router = APIRouter(tags=["activity"], route_class=JsonRoute, responses=PROBLEM_RESPONSES)


class AttributeChangeOut(BaseModel):
    profile_id: str
    id: str | None
    before: object
    after: object
    changes: int
    first_changed_at: datetime
    last_changed_at: datetime


class AttributeChangePage(BaseModel):
    items: list[AttributeChangeOut]
    next_cursor: str | None


@router.get("/v1/activity", response_model=ActivityPage)
async def search_activity(
    db: DatabaseDep,
    settings: SettingsDep,
    actor: Reader,
    customer: Annotated[str | None, Query(description="any customer reference")] = None,
    attribute: str | None = None,
    event: Annotated[
        str | None, Query(description="an event's name: its `event` entries only")
    ] = None,
    type: Annotated[str | None, Query(description="activity types, comma-separated")] = None,
    since: Moment = None,
    until: Moment = None,
    limit: Limit = None,
    cursor: str | None = None,
) -> Response:
    """Every change and failure of the workspace, filtered, newest first."""
    wanted = queries.ActivityFilter(
        customer=None if customer is None else parse_ref(customer, settings.max_identifier_bytes),
        attribute=attribute,
        event=event,
        types=queries.parse_types(type),
        since=since,
        until=until,
    )
    page = await queries.search(db, actor, wanted, cursor, limit or settings.default_page_size)
    return JsonResponse({"items": page.items, "next_cursor": page.next_cursor})


@router.get("/v1/attributes/{name:path}/changes", response_model=AttributeChangePage)
async def attribute_changes(
    name: str,
    db: DatabaseDep,
    settings: SettingsDep,
    actor: Reader,
    since: Moment = None,
    until: Moment = None,
    limit: Limit = None,
    cursor: str | None = None,
) -> Response:
    """Customers whose attribute changed in [since, until), with the value before and after.

    The window defaults to the 24 hours before `until`, which defaults to now.
    """
    page = await queries.attribute_changes(
        db, actor, name, since, until, cursor, limit or settings.default_page_size
    )
    items = [
        {
            "profile_id": item.profile_id,
            "id": item.customer_id,
            "before": item.before,
            "after": item.after,
            "changes": item.changes,
            "first_changed_at": item.first_changed_at,
            "last_changed_at": item.last_changed_at,
        }
        for item in page.items
    ]
    return JsonResponse({"items": items, "next_cursor": page.next_cursor})
