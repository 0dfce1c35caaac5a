"""The catalog's colour code in Chromium: red, green, orange and none, the lightning
mark, and a legend that explains them with the service's own words."""

import time

import httpx
import pytest
from playwright.sync_api import Page, expect

from attrium.attributes.service import FRESHNESS_MEANINGS
from tests.support.browser import Screenshots

BATCH = "id,plan,score:number\nb-1,pro,3\nb-2,free,4\n"


def import_batch(api: httpx.Client) -> None:
    job = api.post("/v1/imports", content=BATCH, headers={"content-type": "text/csv"}).json()
    for _ in range(300):
        if api.get(f"/v1/imports/{job['id']}").json()["state"] == "done":
            return
        time.sleep(0.1)
    pytest.fail("the import did not finish")


def swatch_rgb(page: Page, colour: str) -> tuple[int, ...]:
    css = page.locator(f".legend .swatch-{colour}").evaluate(
        "element => getComputedStyle(element).backgroundColor"
    )
    return tuple(int(part) for part in css.removeprefix("rgb(").rstrip(")").split(","))


def test_catalog_colours_lightning_and_legend(
    signed_in: Page, api: httpx.Client, shots: Screenshots
) -> None:
    assert api.post("/v1/attributes", json={"name": "tier", "type": "string"}).status_code == 201
    assert api.put("/v1/customers/ada", json={"attributes": {"city": "Paris"}}).status_code == 201
    import_batch(api)
    assert api.patch("/v1/customers/b-1/attributes", json={"score": 5}).status_code == 200
    expected = {  # name: (freshness, source, lightning)
        "city": ("red", "API", True),
        "score": ("green", "batch", True),
        "tier": ("orange", "API", False),
        "plan": ("none", "batch", False),
    }

    page = signed_in
    page.reload()
    for name, (freshness, source, lightning) in expected.items():
        row = page.locator(f"tr[data-attribute='{name}']")
        assert api.get(f"/v1/attributes/{name}").json()["freshness"] == (
            None if freshness == "none" else freshness
        )
        expect(row).to_have_attribute("data-freshness", freshness)
        expect(row.locator("[data-cell='freshness']")).to_contain_text(freshness.capitalize())
        expect(row.locator("[data-cell='source']")).to_contain_text(source)
        mark = row.get_by_role("img", name="updated in real time through the API")
        expect(mark).to_have_count(1 if lightning else 0)

    legend = page.locator(".legend")
    for colour, meaning in FRESHNESS_MEANINGS.items():
        expect(legend.locator("div", has_text=colour.capitalize())).to_contain_text(meaning)
    expect(legend).to_contain_text("values are updated in real time through the API")
    red, green, orange = (swatch_rgb(page, colour) for colour in ("red", "green", "orange"))
    assert red[0] > 2 * max(red[1], red[2]), red
    assert green[1] > max(green[0], green[2]), green
    assert orange[0] > orange[1] > orange[2], orange
    shots.take(page, "catalog-colours")
