"""Every page in Chromium at 1280 px and 375 px: named controls, contrast, no sideways
scrolling, CSRF tokens on every form; and the keyboard alone is enough."""

import time

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.support.backends import LiveBackend
from tests.support.browser import PHONE, WIDE, Screenshots
from tests.support.workspaces import TestWorkspace
from tests.ui.audit import assert_clean
from tests.ui.conftest import PAGE_TIMEOUT_MS, open_page, sign_in_page
from tests.ui.test_browser_segments import IN_FLIGHT

IMPORT_CSV = "id,email,plan,age:number\nimp-1,one@example.com,pro,31\nimp-2,two@example.com,x,no\n"


def ok(answer: httpx.Response) -> dict[str, str]:
    assert answer.status_code < 300, answer.text
    body: dict[str, str] = answer.json()
    return body


def wait_for_import(api: httpx.Client, job_id: str) -> None:
    for _ in range(300):
        if api.get(f"/v1/imports/{job_id}").json()["state"] in ("done", "failed"):
            return
        time.sleep(0.1)
    pytest.fail(f"import {job_id} did not finish")


def every_page(api: httpx.Client) -> dict[str, str]:
    """A workspace with something on every page; the pages' paths by name."""
    ok(api.post("/v1/attributes", json={"name": "tier", "type": "enum", "enum_values": ["a"]}))
    ada = ok(api.put("/v1/customers/ada", json={"email": "ada@example.com", "attributes": {}}))
    ok(api.patch("/v1/customers/ada/attributes", json={"age": 36, "tier": "a"}))
    rejected = api.patch("/v1/customers/ada/attributes", json={"age": "old"})
    assert rejected.status_code == 422, rejected.text
    ok(api.post("/v1/topics", json={"name": "Newsletter"}))
    companies = ok(api.post("/v1/object-types", json={"name": "Companies"}))
    ok(
        api.patch(
            "/v1/customers/ada/relationships",
            json={"add": [{"object_type_id": companies["id"], "object_id": "acme"}]},
        )
    )
    predicate = {"attribute": "age", "op": "gte", "value": 30}
    segment = ok(api.post("/v1/segments", json={"name": "adults", "predicate": predicate}))
    job = ok(api.post("/v1/imports", content=IMPORT_CSV, headers={"content-type": "text/csv"}))
    wait_for_import(api, job["id"])
    return {
        "catalog": "/ui/catalog",
        "customers": "/ui/customers",
        "customer": f"/ui/customers/{ada['profile_id']}",
        "segments": "/ui/segments",
        "segment": f"/ui/segments/{segment['id']}",
        "imports": "/ui/imports",
        "import": f"/ui/imports/{job['id']}",
        "templates": "/ui/templates",
    }


def audit_every_page(page: Page, api: httpx.Client, token: str, shots: Screenshots) -> None:
    paths = every_page(api)
    page.goto("/ui/sign-in")
    assert_clean(page)
    shots.take(page, "sign-in")
    sign_in_page(page, token)
    for name, path in paths.items():
        page.goto(path)
        expect(page.locator("h1")).to_be_visible()
        assert_clean(page)
        shots.take(page, name)
    page.goto("/ui/templates")
    page.get_by_label("Template").fill("Hi {{ customer.email }}")
    page.get_by_label("Customer").fill("ada")
    page.get_by_role("button", name="Preview").click()
    expect(page.locator("[data-cell='rendered']")).to_have_text("Hi ada@example.com")
    assert_clean(page)
    shots.take(page, "template-preview")


@pytest.mark.parametrize("viewport", [WIDE, PHONE], ids=["1280px", "375px"])
def test_every_page_is_named_readable_protected_and_fits(
    browser: Browser,
    backend: LiveBackend,
    workspace: TestWorkspace,
    api: httpx.Client,
    shots: Screenshots,
    viewport: dict[str, int],
) -> None:
    with open_page(browser, backend, viewport=viewport, is_mobile=viewport == PHONE) as page:
        audit_every_page(page, api, workspace.token, shots)


def test_define_an_attribute_with_the_keyboard_alone(
    page: Page, workspace: TestWorkspace, api: httpx.Client, shots: Screenshots
) -> None:
    sign_in_page(page, workspace.token)
    tab_to(page, "#field-name")
    page.keyboard.type("plan")
    page.keyboard.press("Tab")
    expect(page.get_by_label("Type")).to_be_focused()
    page.keyboard.type("string")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    expect(page.get_by_label("Default value")).to_be_focused()
    page.keyboard.type("free")
    page.keyboard.press("Enter")

    expect(page.get_by_role("status")).to_have_text("Attribute 'plan' is defined.")
    shots.take(page, "defined-by-keyboard")
    defined = api.get("/v1/attributes/plan").json()
    assert (defined["type"], defined["default"]) == ("string", "free")


def tab_to(page: Page, selector: str, limit: int = 80) -> None:
    """Press Tab until `selector` has focus; every stop on the way must show its focus."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
        assert outline != "none", page.evaluate("document.activeElement.outerHTML")
        if page.evaluate(f"document.activeElement.matches({selector!r})"):
            return
    pytest.fail(f"{selector} was not reached with Tab")


def test_build_a_segment_with_the_keyboard_alone(
    page: Page, workspace: TestWorkspace, api: httpx.Client, shots: Screenshots
) -> None:
    for number, age in enumerate([20, 40, 60]):
        ok(api.put(f"/v1/customers/k{number}", json={"attributes": {"age": age}}))
    sign_in_page(page, workspace.token)
    page.goto("/ui/segments")
    live_count = page.locator("[data-cell='live-count']")
    expect(live_count).to_have_text("3")

    tab_to(page, "#op-0")
    for _ in range(10):
        if page.locator("#op-0").input_value() == "gte":
            break
        with page.expect_response("**/ui/segments/builder"):
            page.keyboard.press("ArrowUp")  # each choice re-renders the builder
        expect(page.locator(IN_FLIGHT)).to_have_count(0)
        expect(page.locator("#op-0")).to_be_focused()  # and the new one keeps focus
    expect(page.locator("#op-0")).to_have_value("gte")
    page.keyboard.press("Tab")
    expect(page.locator("#value-0")).to_be_focused()
    page.keyboard.type("30")
    expect(live_count).to_have_text("2", timeout=PAGE_TIMEOUT_MS)
    shots.take(page, "builder-by-keyboard")
