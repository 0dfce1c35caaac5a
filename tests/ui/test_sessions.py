"""Signing in and out of the web UI: cookies, CSRF, expiry, revocation, headers."""

from datetime import timedelta

import httpx

from attrium.auth import service as keys
from attrium.ui import service as sessions
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
