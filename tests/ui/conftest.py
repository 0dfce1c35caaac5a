"""UI fixtures: a browser per module and backend, a signed-in page, plain HTTP clients."""

from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Browser, Page

from tests.support.backends import LiveBackend
from tests.support.browser import PHONE, WIDE, Screenshots, chromium, screenshots_for
from tests.support.workspaces import TestWorkspace

PAGE_TIMEOUT_MS = 15_000


@pytest.fixture(scope="module")
def browser(backend: LiveBackend) -> Iterator[Browser]:
    # Scoped under the backend so Playwright's event loop is gone before the next
    # backend starts (its set-up and tear-down use asyncio.run on this thread).
    with chromium() as launched:
        yield launched


@pytest.fixture
def page(browser: Browser, backend: LiveBackend) -> Iterator[Page]:
    context = browser.new_context(viewport=WIDE, base_url=backend.base_url)
    context.set_default_timeout(PAGE_TIMEOUT_MS)
    opened = context.new_page()
    yield opened
    context.close()


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
    context = browser.new_context(viewport=PHONE, base_url=backend.base_url, is_mobile=True)
    context.set_default_timeout(PAGE_TIMEOUT_MS)
    opened = context.new_page()
    yield opened
    context.close()
