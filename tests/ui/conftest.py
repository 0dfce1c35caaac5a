"""UI fixtures: a browser per module and backend, a signed-in page, plain HTTP clients."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page

from tests.support.backends import LiveBackend
from tests.support.browser import PHONE, WIDE, Screenshots, chromium, screenshots_for
from tests.support.workspaces import TestWorkspace

# A bound, not a timing: a loaded 2-core machine running several suites has needed >15 s.
PAGE_TIMEOUT_MS = 30_000


@pytest.fixture(scope="module")
def browser(backend: LiveBackend) -> Iterator[Browser]:
    # Scoped under the backend so Playwright's event loop is gone before the next
    # backend starts (its set-up and tear-down use asyncio.run on this thread).
    with chromium() as launched:
        yield launched


def _open(browser: Browser, backend: LiveBackend, **options: Any) -> Iterator[Page]:
    """A page whose console must stay free of errors (CSP violations among them)."""
    context = browser.new_context(base_url=backend.base_url, **options)
    context.set_default_timeout(PAGE_TIMEOUT_MS)
    opened = context.new_page()
    errors: list[str] = []
    opened.on("console", lambda message: _keep_error(errors, message))
    opened.on("pageerror", lambda error: errors.append(str(error)))
    yield opened
    context.close()
    assert errors == [], errors


@contextmanager
def open_page(browser: Browser, backend: LiveBackend, **options: Any) -> Iterator[Page]:
    yield from _open(browser, backend, **options)


def _keep_error(errors: list[str], message: ConsoleMessage) -> None:
    if message.type == "error":
        errors.append(message.text)


@pytest.fixture
def page(browser: Browser, backend: LiveBackend) -> Iterator[Page]:
    yield from _open(browser, backend, viewport=WIDE)


@pytest.fixture
def shots(request: pytest.FixtureRequest) -> Screenshots:
    return screenshots_for(request.node.name)


@pytest.fixture
def browser_client(backend: LiveBackend) -> Iterator[httpx.Client]:
    """A cookie-keeping HTTP client without an API key, as a browser is."""
    with httpx.Client(base_url=backend.base_url, timeout=30) as client:
        yield client


def sign_in_page(page: Page, token: str) -> None:
    page.goto("/ui/sign-in")
    page.get_by_label("API key").fill(token)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/ui/catalog")


@pytest.fixture
def signed_in(page: Page, workspace: TestWorkspace) -> Page:
    sign_in_page(page, workspace.token)
    return page


@pytest.fixture
def browser_page_phone(browser: Browser, backend: LiveBackend) -> Iterator[Page]:
    yield from _open(browser, backend, viewport=PHONE, is_mobile=True)
