"""The web UI's routes: sign-in and sign-out here, each page family in its own module."""

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, FastAPI, Form, Request, Response
from fastapi.staticfiles import StaticFiles

from attrium.auth.guessing import client_address, count_failure, refuse_while_guessing
from attrium.core.deps import DatabaseDep, SettingsDep
from attrium.core.errors import Forbidden, NotFound, RateLimited, Unauthenticated
from attrium.core.problems import retry_after_headers
from attrium.core.ratelimit import RateLimiter
from attrium.ui import service
from attrium.ui.catalog import router as catalog_router
from attrium.ui.customers import router as customers_router
from attrium.ui.imports import router as imports_router
from attrium.ui.merges import router as merges_router
from attrium.ui.routing import UiRoute
from attrium.ui.security import (
    SESSION_COOKIE,
    SIGN_IN_CSRF_COOKIE,
    SessionDep,
    clear_session_cookie,
    set_session_cookie,
    set_sign_in_csrf_cookie,
)
from attrium.ui.segments import router as segments_router
from attrium.ui.templates_preview import router as templates_router
from attrium.ui.web import UI_PREFIX, redirect, render

router = APIRouter(prefix=UI_PREFIX, route_class=UiRoute, include_in_schema=False)
HOME = f"{UI_PREFIX}/catalog"
SESSION_ENDED = "Your session has ended (it expired, or its key was revoked); sign in again."


def safe_next(target: str | None) -> str:
    """Only a path inside the UI: never another site."""
    if target and target.startswith(UI_PREFIX + "/") and not target.startswith("//"):
        return target
    return HOME


@router.get("")
async def home(request: Request, session: SessionDep) -> Response:
    return redirect(request, HOME)


@router.get("/sign-in")
async def sign_in_page(request: Request, db: DatabaseDep, next: str | None = None) -> Response:
    secret = request.cookies.get(SESSION_COOKIE)
    if not secret:
        return _sign_in_form(request, safe_next(next))
    if await service.resume(db, secret):
        return redirect(request, safe_next(next))
    # The cookie outlived its session: expired, or its key was revoked.
    response = _sign_in_form(request, safe_next(next), message=SESSION_ENDED)
    clear_session_cookie(request, response)
    return response


def _sign_in_form(
    request: Request, next_path: str, status: int = 200, message: str | None = None
) -> Response:
    token = service.new_secret()
    response = render(
        request, "sign_in.html", status=status, csrf_token=token, next=next_path, message=message
    )
    set_sign_in_csrf_cookie(request, response, token)
    return response


@router.post("/sign-in")
async def sign_in(
    request: Request,
    db: DatabaseDep,
    settings: SettingsDep,
    api_key: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = HOME,
) -> Response:
    expected = request.cookies.get(SIGN_IN_CSRF_COOKIE)
    if expected is None or not service.tokens_match(expected, csrf_token):
        message = "The sign-in form expired; please try again."
        return _sign_in_form(request, safe_next(next), 403, message)
    lifetime = timedelta(hours=settings.ui_session_hours)
    limiter: RateLimiter = request.app.state.rate_limiter
    client = client_address(request.scope)
    try:
        await refuse_while_guessing(limiter, client)
        session = await service.sign_in(db, api_key, lifetime)
    except RateLimited as refused:
        message = "Too many unknown keys were tried from your address; try again later."
        response = _sign_in_form(request, safe_next(next), 429, message)
        response.headers.update(retry_after_headers(refused))
        return response
    except Unauthenticated:
        await count_failure(limiter, client)
        message = "That API key is unknown or revoked."
        return _sign_in_form(request, safe_next(next), 401, message)
    except Forbidden:
        message = "That key lacks the attributes:read scope the UI needs."
        return _sign_in_form(request, safe_next(next), 403, message)
    response = redirect(request, safe_next(next))
    set_session_cookie(request, response, session)
    response.delete_cookie(SIGN_IN_CSRF_COOKIE, path=UI_PREFIX)
    return response


@router.post("/sign-out")
async def sign_out(request: Request, db: DatabaseDep, session: SessionDep) -> Response:
    await service.sign_out(db, session.secret)
    response = redirect(request, f"{UI_PREFIX}/sign-in")
    clear_session_cookie(request, response)
    return response


for page_router in (
    catalog_router,
    customers_router,
    merges_router,
    segments_router,
    imports_router,
    templates_router,
):
    router.include_router(page_router)


@router.get("/{unknown:path}")
async def unknown_page(unknown: str, session: SessionDep) -> Response:
    """Any other path under /ui: a 404 page rather than a JSON problem."""
    raise NotFound(f"the web UI has no page /ui/{unknown}")


def install(app: FastAPI) -> None:
    """Mount the UI: its pages and its vendored static files (its security headers are
    the front door's, core/middleware.py)."""
    app.mount(
        f"{UI_PREFIX}/static", StaticFiles(packages=[("attrium.ui", "static")]), name="ui-static"
    )
    app.include_router(router)
