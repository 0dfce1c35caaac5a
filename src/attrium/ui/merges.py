"""Undoing a merge from the customer page (which lists the merges into a customer)."""

from fastapi import APIRouter, Request, Response

from attrium.auth.scopes import Scope
from attrium.core.deps import DatabaseDep
from attrium.identity import undo
from attrium.ui.routing import UiRoute
from attrium.ui.security import SessionDep
from attrium.ui.web import UI_PREFIX, redirect

router = APIRouter(route_class=UiRoute)


@router.post("/merges/{merge_id}/undo")
async def undo_merge(
    request: Request, db: DatabaseDep, session: SessionDep, merge_id: str
) -> Response:
    """Undo the merge, then show the primary, which lists the merge as undone."""
    session.actor.require(Scope.ATTRIBUTES_WRITE)
    outcome = await undo.undo(db, session.actor, merge_id)
    location = f"{UI_PREFIX}/customers/{outcome.primary.profile_id}?undone={merge_id}"
    return redirect(request, location)
