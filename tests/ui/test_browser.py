"""End to end in Debian's Chromium: what a person sees, with screenshots of every page."""

import httpx
from playwright.sync_api import Page, expect

from tests.support.browser import PHONE, Screenshots
from tests.support.workspaces import TestWorkspace
from tests.ui.conftest import sign_in_page


def test_sign_in_by_keyboard(page: Page, workspace: TestWorkspace, shots: Screenshots) -> None:
    page.goto("/ui/catalog")
    expect(page).to_have_url("/ui/sign-in?next=%2Fui%2Fcatalog")
    shots.take(page, "sign-in")
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
    page.get_by_label("API key").focus()
    page.keyboard.type(workspace.token)
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", name="Attribute catalog")).to_be_visible()
    expect(page.get_by_text(workspace.workspace.name)).to_be_visible()


def test_define_an_attribute_then_watch_api_writes_arrive(
    signed_in: Page, workspace: TestWorkspace, api: httpx.Client, shots: Screenshots
) -> None:
    page = signed_in
    page.get_by_label("Name", exact=True).fill("tier")
    page.get_by_label("Type").select_option("enum")
    page.get_by_label("Enum values").fill("bronze, silver, gold")
    page.get_by_label("Default value").fill("bronze")
    page.get_by_role("button", name="Define attribute").click()

    row = page.locator("tr[data-attribute='tier']")
    expect(page.get_by_role("status")).to_have_text("Attribute 'tier' is defined.")
    expect(row.locator("[data-cell='customer-count']")).to_have_text("0")
    expect(row.locator("[data-cell='last-written']")).to_have_text("never")
    expect(row.locator("[data-cell='freshness']")).to_contain_text("Orange")
    shots.take(page, "catalog-defined")

    api.put("/v1/customers/ada", json={"email": "ada@example.com", "attributes": {"age": 36}})
    changed = api.patch("/v1/customers/ada/attributes", json={"tier": "gold"})
    assert changed.status_code == 200, changed.text

    page.reload()
    expect(row.locator("[data-cell='customer-count']")).to_have_text("1")
    expect(row.locator("[data-cell='last-written']")).to_contain_text("just now")
    expect(row.locator("[data-cell='last-written']")).to_contain_text(workspace.actor.key_id or "")
    expect(row.locator("[data-cell='source']")).to_contain_text("API")
    expect(row.get_by_role("img", name="updated in real time through the API")).to_be_visible()
    expect(row.locator("[data-cell='freshness']")).to_contain_text("Red")
    expect(page.locator("tr[data-attribute='tier']")).to_have_attribute("data-freshness", "red")
    shots.take(page, "catalog-fresh")

    page.get_by_role("link", name="Customers").click()
    page.get_by_label("Find a customer by any identifier").fill("ADA@example.com")
    page.get_by_role("button", name="Find").click()
    expect(page.get_by_role("heading", name="Customer ada")).to_be_visible()
    tier_change = page.locator("li[data-type='customer_updated'] li[data-attribute='tier']")
    expect(tier_change.locator("[data-cell='before']")).to_contain_text("none")
    expect(tier_change.locator("[data-cell='after']")).to_contain_text('"gold"')
    expect(page.locator("tr[data-attribute='tier'] [data-cell='value']")).to_have_text('"gold"')
    shots.take(page, "customer")


def test_customer_view_marks_defaults_and_failures(
    signed_in: Page, api: httpx.Client, shots: Screenshots
) -> None:
    api.post("/v1/attributes", json={"name": "plan", "type": "string", "default": "free"})
    api.put("/v1/customers/bob", json={"email": "bob@example.com"})
    api.put("/v1/customers/eve", json={"email": "eve@example.com"})
    conflict = api.put("/v1/customers/bob", json={"email": "eve@example.com"})
    assert conflict.status_code == 409, conflict.text
    rejected = api.patch("/v1/customers/bob/attributes", json={"plan": 5})
    assert rejected.status_code == 422, rejected.text

    page = signed_in
    page.goto("/ui/customers?q=bob")
    plan = page.locator("tr[data-attribute='plan']")
    expect(plan).to_have_class("defaulted")
    expect(plan.locator(".badge")).to_have_text("default")
    failures = page.locator("li.entry.failure")
    expect(failures).to_have_count(2)
    expect(failures.first.locator(".failure-label")).to_have_text("Failure")
    expect(page.locator("li[data-type='attribute_update_failure']")).to_contain_text(
        "belongs to another customer"
    )
    shots.take(page, "customer-failures")


def test_pages_fit_a_phone(
    browser_page_phone: Page, workspace: TestWorkspace, api: httpx.Client, shots: Screenshots
) -> None:
    page = browser_page_phone
    api.put("/v1/customers/ada", json={"email": "ada@example.com", "attributes": {"age": 36}})
    sign_in_page(page, workspace.token)
    for name, path in (("catalog", "/ui/catalog"), ("customers", "/ui/customers")):
        page.goto(path)
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        shots.take(page, f"{name}-phone")
    page.locator("tr", has_text="ada@example.com").get_by_role("link").click()
    expect(page.get_by_role("heading", name="Customer ada")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shots.take(page, "customer-phone")
