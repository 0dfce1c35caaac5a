"""The segment builder in Chromium: live count as you edit, save, export."""

import csv
import io
from collections.abc import Callable

import httpx
from playwright.sync_api import Page, expect

from tests.support.browser import Screenshots
from tests.ui.conftest import PAGE_TIMEOUT_MS

# htmx marks elements while it requests, swaps and settles; new inputs listen after that.
IN_FLIGHT = ".htmx-request, .htmx-swapping, .htmx-settling, .htmx-added"


def rebuild(page: Page, action: Callable[[], None]) -> None:
    """Do what re-renders the builder, and wait for the new one."""
    with page.expect_response("**/ui/segments/builder"):
        action()
    expect(page.locator(IN_FLIGHT)).to_have_count(0)


def test_build_a_segment_whose_count_matches_the_api(
    signed_in: Page, api: httpx.Client, shots: Screenshots
) -> None:
    for number, age in enumerate([18, 25, 33, 47, 52]):
        body = {
            "email": f"c{number}@example.com",
            "attributes": {"age": age, "vip": number % 2 == 0},
        }
        assert api.put(f"/v1/customers/c{number}", json=body).status_code == 201
    page = signed_in
    page.get_by_role("link", name="Segments").click()
    expect(page.get_by_role("heading", name="Segments", exact=True)).to_be_visible()
    # The link is boosted: its page is swapped in by htmx, which binds the builder's
    # inputs only as the swap settles, after the heading already shows.
    expect(page.locator(IN_FLIGHT)).to_have_count(0)

    rebuild(page, lambda: page.get_by_label("Condition 1: about").select_option("attribute:age"))
    rebuild(page, lambda: page.get_by_label("operator").first.select_option("gte"))
    page.get_by_label("value").first.fill("30")
    live_count = page.locator("[data-cell='live-count']")
    expect(live_count).to_have_text("3", timeout=PAGE_TIMEOUT_MS)

    rebuild(page, lambda: page.get_by_role("button", name="Add condition").click())
    rebuild(page, lambda: page.get_by_label("Condition 2: about").select_option("attribute:vip"))
    rebuild(page, lambda: page.get_by_label("operator").nth(1).select_option("eq"))
    page.get_by_label("value").nth(1).fill("true")
    predicate = {
        "all": [
            {"attribute": "age", "op": "gte", "value": 30},
            {"attribute": "vip", "op": "eq", "value": True},
        ]
    }
    api_count = api.post("/v1/segments/preview", json={"predicate": predicate}).json()["count"]
    expect(live_count).to_have_text(str(api_count), timeout=PAGE_TIMEOUT_MS)
    sample = page.locator(".sample li")
    expect(sample).to_have_count(api_count)
    for member in ("c2", "c4"):
        expect(sample.filter(has_text=member)).to_have_count(1)
    expect(page.locator("#row-errors-1")).to_be_empty()
    shots.take(page, "builder")

    page.get_by_label("Name", exact=True).fill("older vips")
    page.get_by_role("button", name="Save segment").click()
    expect(page.get_by_role("heading", name="Segment older vips")).to_be_visible()
    saved = api.get("/v1/segments").json()["items"][0]
    saved_count = api.get(f"/v1/segments/{saved['id']}/count").json()["count"]
    expect(page.locator("[data-cell='segment-count']")).to_have_text(str(saved_count))
    assert saved_count == api_count
    shots.take(page, "segment")

    with page.expect_download() as download:
        page.get_by_role("link", name="CSV").click()
    exported = list(csv.DictReader(io.StringIO(download.value.path().read_text())))
    assert sorted(row["id"] for row in exported) == ["c2", "c4"]
