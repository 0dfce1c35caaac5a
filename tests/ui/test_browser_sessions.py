"""Signing out, and a session that ends, in Chromium."""

from datetime import timedelta
from urllib.parse import urlsplit

from playwright.sync_api import Page, expect

from attrium.ui import service as sessions
from attrium.ui.security import SESSION_COOKIE
from tests.support.browser import Screenshots
from tests.support.workspaces import TestWorkspace


def test_sign_out_then_the_pages_ask_to_sign_in(signed_in: Page, shots: Screenshots) -> None:
    page = signed_in
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url("/ui/sign-in")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    assert SESSION_COOKIE not in {cookie["name"] for cookie in page.context.cookies()}
    shots.take(page, "signed-out")

    page.goto("/ui/customers")
    expect(page).to_have_url("/ui/sign-in?next=%2Fui%2Fcustomers")
    expect(page.get_by_role("alert")).to_have_count(0)


def test_an_expired_session_is_sent_to_sign_in_and_back(
    page: Page, workspace: TestWorkspace, shots: Screenshots
) -> None:
    backend = workspace.backend
    expired = backend.run(sessions.sign_in(backend.db, workspace.token, timedelta(0)))
    host = urlsplit(backend.base_url).hostname or ""
    cookie = {"name": SESSION_COOKIE, "value": expired.secret, "domain": host, "path": "/ui"}
    page.context.add_cookies([cookie])  # as the server set it: Path=/ui

    page.goto("/ui/segments")
    expect(page).to_have_url("/ui/sign-in?next=%2Fui%2Fsegments")
    expect(page.get_by_role("alert")).to_contain_text("Your session has ended")
    shots.take(page, "session-ended")

    sign_in_page_to(page, workspace.token, "**/ui/segments")
    expect(page.get_by_role("heading", name="Segments", exact=True)).to_be_visible()


def sign_in_page_to(page: Page, token: str, url: str) -> None:
    page.get_by_label("API key").fill(token)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(url)
