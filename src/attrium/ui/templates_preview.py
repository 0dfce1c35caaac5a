"""Template preview: render a Liquid template, or a saved one, for a chosen customer."""

from fastapi import APIRouter, Request, Response

from attrium.core.deps import DatabaseDep, SettingsDep
from attrium.core.errors import AttriumError, NotFound
from attrium.customers.identity import CustomerRef, IdentifierKind
from attrium.templates import service as templates
from attrium.ui.customers import find_by_any
from attrium.ui.routing import UiRoute
from attrium.ui.security import SessionDep
from attrium.ui.service import UiSession
from attrium.ui.web import render, wants_fragment

router = APIRouter(route_class=UiRoute)

SAVED_SHOWN = 100


@router.get("/templates")
async def templates_page(
    request: Request, db: DatabaseDep, session: SessionDep, template_id: str | None = None
) -> Response:
    """The preview form; `template_id` loads a saved template's body into it."""
    body = ""
    if template_id:
        body = (await templates.get(db, session.actor, template_id)).body
    return await _page(request, db, session, body=body, customer="")


@router.post("/templates/preview")
async def preview_template(
    request: Request, db: DatabaseDep, settings: SettingsDep, session: SessionDep
) -> Response:
    form = await request.form()
    body = form.get("template")
    customer_text = form.get("customer")
    body = body if isinstance(body, str) else ""
    customer_text = customer_text.strip() if isinstance(customer_text, str) else ""
    rendered, error = None, None
    try:
        found = await find_by_any(db, session.actor, customer_text, settings.max_identifier_bytes)
        if found is None:
            raise NotFound(f"no customer has {customer_text!r}")
        ref = CustomerRef(IdentifierKind.PROFILE, found.profile_id)
        rendered = await templates.render(db, session.actor, body, ref)
    except AttriumError as failure:
        error = failure
    if wants_fragment(request):
        return render(
            request, "_template_output.html", session=session, rendered=rendered, error=error
        )
    return await _page(
        request,
        db,
        session,
        body=body,
        customer=customer_text,
        status=error.status if error else 200,
        rendered=rendered,
        error=error,
    )


async def _page(
    request: Request,
    db: DatabaseDep,
    session: UiSession,
    *,
    body: str,
    customer: str,
    status: int = 200,
    rendered: str | None = None,
    error: AttriumError | None = None,
) -> Response:
    saved = await templates.list_templates(db, session.actor, None, SAVED_SHOWN)
    return render(
        request,
        "templates.html",
        session=session,
        status=status,
        saved=saved,
        body=body,
        customer=customer,
        rendered=rendered,
        error=error,
    )
