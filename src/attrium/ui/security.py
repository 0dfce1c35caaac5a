"""What guards the UI: the session cookie, CSRF checks, and security headers."""

from typing import Annotated
from urllib.parse import urlsplit

from fastapi import Depends, Request, Response

from attrium.core.deps import DatabaseDep
from attrium.core.errors import Forbidden, Unauthenticated
from attrium.ui import service
from attrium.ui.service import UiSession
from attrium.ui.web import UI_PREFIX

SESSION_COOKIE = "attrium_session"
SIGN_IN_CSRF_COOKIE = "attrium_sign_in_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
    )
)
# Every answer under /ui gets these unless it set them (core/middleware.py adds them).
SECURITY_HEADERS = {
    "content-security-policy": CONTENT_SECURITY_POLICY,
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "same-origin",
    "cross-origin-opener-policy": "same-origin",
}


async def current_session(request: Request, db: DatabaseDep) -> UiSession:
    """The signed-in session (Unauthenticated if none); unsafe methods must carry CSRF."""
    secret = request.cookies.get(SESSION_COOKIE)
    session = await service.resume(db, secret) if secret else None
    if session is None:
        raise Unauthenticated("sign in to use the web UI")
    if request.method not in SAFE_METHODS:
        await check_csrf(request, session.csrf_token)
    return session


SessionDep = Annotated[UiSession, Depends(current_session)]


async def check_csrf(request: Request, expected: str) -> None:
    """Forbidden unless the request is same-origin and carries the expected token."""
    origin = request.headers.get("origin")
    if origin and urlsplit(origin).netloc != request.headers.get("host"):
        raise Forbidden("the form was sent from another site")
    given = request.headers.get(CSRF_HEADER)
    if given is None:
        form = await request.form()
        field = form.get(CSRF_FIELD)
        given = field if isinstance(field, str) else None
    if not service.tokens_match(expected, given):
        raise Forbidden("the form's CSRF token is missing or stale; reload the page and retry")


def _is_https(request: Request) -> bool:
    return request.url.scheme == "https"


def set_session_cookie(request: Request, response: Response, session: UiSession) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        session.secret,
        expires=session.expires_at,
        path=UI_PREFIX,
        httponly=True,
        samesite="lax",
        secure=_is_https(request),
    )


def clear_session_cookie(request: Request, response: Response) -> None:
    response.delete_cookie(
        SESSION_COOKIE, path=UI_PREFIX, httponly=True, samesite="lax", secure=_is_https(request)
    )


def set_sign_in_csrf_cookie(request: Request, response: Response, token: str) -> None:
    """The sign-in form has no session yet: its token is a double-submit cookie."""
    response.set_cookie(
        SIGN_IN_CSRF_COOKIE,
        token,
        path=UI_PREFIX,
        httponly=True,
        samesite="strict",
        secure=_is_https(request),
    )
