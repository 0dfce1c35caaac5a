"""Imports and template preview in Chromium: upload, watch it finish, read the report."""

import csv

import httpx
from playwright.sync_api import Page, expect

from tests.support.browser import Screenshots

SMALL_IMPORT = (
    "id,email,plan,age:number\n"
    "imp-1,one@example.com,pro,31\n"
    "imp-2,two@example.com,free,not-a-number\n"
    "imp-3,three@example.com,team,45\n"
)


def test_upload_a_small_import_and_watch_it_finish(
    signed_in: Page, api: httpx.Client, shots: Screenshots, tmp_path: object
) -> None:
    page = signed_in
    page.get_by_role("link", name="Imports").click()
    expect(page.get_by_role("heading", name="Imports", exact=True)).to_be_visible()
    shots.take(page, "imports")

    page.get_by_label("File", exact=True).set_input_files(
        files=[{"name": "people.csv", "mimeType": "text/csv", "buffer": SMALL_IMPORT.encode()}]
    )
    page.get_by_role("button", name="Upload and import").click()

    progress = page.locator("#progress")
    expect(progress).to_have_attribute("data-state", "done", timeout=30_000)
    expect(progress.locator("[data-cell='applied']")).to_have_text("2")
    expect(progress.locator("[data-cell='rejected']")).to_have_text("1")
    expect(progress).to_contain_text("Line 3")
    shots.take(page, "import-done")
    job_id = page.url.rsplit("/", 1)[-1]
    assert api.get(f"/v1/imports/{job_id}").json()["state"] == "done"
    assert api.get("/v1/customers/imp-3").json()["attributes"]["plan"] == "team"

    with page.expect_download() as download:
        page.get_by_role("link", name="Download the error report (CSV)").click()
    with open(download.value.path(), newline="") as report:
        rows = list(csv.DictReader(report))
    assert [row["line"] for row in rows] == ["3"]
    assert "age" in rows[0]["reason"] or "age" in rows[0]["errors"]

    page.get_by_role("link", name="Attribute catalog").click()
    expect(page.locator("tr[data-attribute='plan'] [data-cell='source']")).to_contain_text("batch")


def test_preview_a_template_for_a_customer(
    signed_in: Page, api: httpx.Client, shots: Screenshots
) -> None:
    api.put("/v1/customers/ada", json={"email": "ada@example.com", "attributes": {"name": "Ada"}})
    page = signed_in
    page.get_by_role("link", name="Templates").click()
    page.get_by_label("Template").fill("Hi {{ customer.attributes.name }} <{{ customer.email }}>")
    page.get_by_label("Customer").fill("ada@example.com")
    page.get_by_role("button", name="Preview").click()

    expect(page.locator("[data-cell='rendered']")).to_have_text("Hi Ada <ada@example.com>")
    shots.take(page, "template-preview")

    page.get_by_label("Template").fill("{{ customer.attributes.name | nope }}")
    page.get_by_role("button", name="Preview").click()
    expect(page.get_by_role("alert")).to_contain_text("nope")
