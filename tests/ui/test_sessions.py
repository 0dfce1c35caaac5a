"""Signing in and out of the web UI: cookies, CSRF, expiry, revocation, headers."""

import re
from datetime import timedelta

import httpx
from fastapi.routing import APIRoute, APIRouter

from attrium.auth import service as keys
from attrium.ui import service as sessions
from attrium.ui.api import router as ui_router
from attrium.ui.security import SESSION_COOKIE
from tests.support.workspaces import TestWorkspace
from tests.ui.forms import csrf_of, page_csrf, sign_in


def test_pages_need_a_session_and_send_security_headers(browser_client: httpx.Client) -> None:
    response = browser_client.get("/ui/catalog?x=1")

    assert response.status_code == 303
    assert response.headers["location"] == "/ui/sign-in?next=%2Fui%2Fcatalog%3Fx%3D1"
    csp = response.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp
    assert "script-src 'self'" in csp
    assert response.headers["x-content-type-options"] == "nosniff"
    static = browser_client.get("/ui/static/htmx.min.js")
    assert static.status_code == 200
    assert static.headers["x-content-type-options"] == "nosniff"


def test_sign_in_sets_an_http_only_same_site_cookie(
    browser_client: httpx.Client, workspace: TestWorkspace
) -> None:
    response = sign_in(browser_client, workspace.token)

    assert response.status_code == 303
    assert response.headers["location"] == "/ui/catalog"
    cookie = next(
        value
        for value in response.headers.get_list("set-cookie")
        if value.startswith(SESSION_COOKIE)
    )
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    assert "Path=/ui" in cookie
    assert workspace.token not in cookie
    catalog = browser_client.get("/ui/catalog")
    assert catalog.status_code == 200
    assert workspace.token not in catalog.text
    assert "Attribute catalog" in catalog.text


def test_sign_in_refuses_unknown_keys_and_missing_csrf(
    browser_client: httpx.Client, workspace: TestWorkspace
) -> None:
    wrong = sign_in(browser_client, "atr_not-a-key")
    assert wrong.status_code == 401
    assert "unknown or revoked" in wrong.text

    forged = browser_client.post(
        "/ui/sign-in", data={"api_key": workspace.token, "csrf_token": "guess"}
    )
    assert forged.status_code == 403
    assert SESSION_COOKIE not in browser_client.cookies


def test_sign_in_needs_the_read_scope(
    browser_client: httpx.Client, workspace: TestWorkspace
) -> None:
    response = sign_in(browser_client, workspace.key(["attributes:write"]))

    assert response.status_code == 403
    assert "attributes:read" in response.text


def test_forms_without_the_session_csrf_token_are_refused(
    browser_client: httpx.Client, workspace: TestWorkspace
) -> None:
    sign_in(browser_client, workspace.token)

    missing = browser_client.post("/ui/catalog", data={"name": "tier", "type": "string"})
    cross_site = browser_client.post(
        "/ui/catalog",
        data={"name": "tier", "type": "string", "csrf_token": page_csrf(browser_client)},
        headers={"Origin": "https://evil.example"},
    )

    assert missing.status_code == 403
    assert "CSRF" in missing.text
    assert cross_site.status_code == 403
    assert workspace.client().get("/v1/attributes").json()["items"] == []


def post_paths(router: APIRouter, prefix: str = "") -> list[str]:
    """Every path of `router` that takes a POST, its parameters filled in; routers it
    includes too (FastAPI keeps those as wrappers holding `original_router`)."""
    found = []
    for route in router.routes:
        included = getattr(route, "original_router", None)
        if isinstance(included, APIRouter):
            found += post_paths(included, prefix + router.prefix)
        elif isinstance(route, APIRoute) and "POST" in route.methods:
            found.append(re.sub(r"\{[^}]+\}", "x", prefix + route.path))
    return sorted(found)


def test_every_ui_post_needs_the_csrf_token_and_the_same_origin(
    browser_client: httpx.Client, workspace: TestWorkspace, api: httpx.Client
) -> None:
    paths = post_paths(ui_router)
    assert {"/ui/catalog", "/ui/imports", "/ui/segments", "/ui/sign-out"} <= set(paths)
    sign_in(browser_client, workspace.token)
    token = page_csrf(browser_client)
    form = {"name": "tier", "type": "string", "template": "x", "customer": "ada"}
    upload = {"file": ("people.csv", b"id,plan\nada,pro\n", "text/csv")}

    for path in paths:
        missing = browser_client.post(path, data=form, files=upload)
        wrong = browser_client.post(path, data=form | {"csrf_token": token[::-1]}, files=upload)
        other_site = browser_client.post(
            path,
            data=form | {"csrf_token": token},
            files=upload,
            headers={"Origin": "https://evil.example"},
        )
        for answer in (missing, wrong, other_site):
            assert answer.status_code == 403, (path, answer.status_code, answer.text[:200])

    assert api.get("/v1/attributes").json()["items"] == []
    assert api.get("/v1/imports").json()["items"] == []
    assert browser_client.get("/ui/catalog").status_code == 200


def test_sign_out_ends_the_session(browser_client: httpx.Client, workspace: TestWorkspace) -> None:
    sign_in(browser_client, workspace.token)
    secret = browser_client.cookies[SESSION_COOKIE]

    signed_out = browser_client.post("/ui/sign-out", data={"csrf_token": page_csrf(browser_client)})

    assert signed_out.status_code == 303
    replay = httpx.get(f"{workspace.backend.base_url}/ui/catalog", cookies={SESSION_COOKIE: secret})
    assert replay.status_code == 303
    assert replay.headers["location"].startswith("/ui/sign-in")


def test_revoking_the_key_ends_its_sessions(
    browser_client: httpx.Client, workspace: TestWorkspace
) -> None:
    token = workspace.key(["attributes:read"])
    sign_in(browser_client, token)
    key_id = workspace.backend.run(keys.authenticate(workspace.backend.db, token)).key_id
    assert key_id is not None

    workspace.backend.run(keys.revoke_key(workspace.backend.db, key_id))

    assert browser_client.get("/ui/catalog").status_code == 303


def test_expired_sessions_are_refused(workspace: TestWorkspace) -> None:
    backend = workspace.backend
    expired = backend.run(sessions.sign_in(backend.db, workspace.token, timedelta(0)))

    response = httpx.get(f"{backend.base_url}/ui/catalog", cookies={SESSION_COOKIE: expired.secret})

    assert response.status_code == 303


def test_a_signed_in_visitor_skips_the_sign_in_form(
    browser_client: httpx.Client, workspace: TestWorkspace
) -> None:
    sign_in(browser_client, workspace.token)

    again = browser_client.get("/ui/sign-in?next=/ui/customers")
    offsite = browser_client.get("/ui/sign-in?next=//evil.example/ui/")

    assert again.status_code == 303
    assert again.headers["location"] == "/ui/customers"
    assert offsite.headers["location"] == "/ui/catalog"
    assert csrf_of(browser_client.get("/ui/customers").text)
