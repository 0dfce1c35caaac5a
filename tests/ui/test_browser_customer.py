"""The customer view in Chromium: subscriptions, topics and relationships as the API has them."""

from typing import Any

import httpx
from playwright.sync_api import Page, expect

from tests.support.browser import Screenshots


def created(answer: httpx.Response) -> Any:
    assert answer.status_code in (200, 201), answer.text
    return answer.json()


def test_customer_view_shows_subscriptions_topics_and_relationships(
    signed_in: Page, api: httpx.Client, shots: Screenshots
) -> None:
    created(api.put("/v1/customers/ada", json={"email": "ada@example.com"}))
    footer = {"name": "Footer form", "channel": "EMAIL", "type": "MARKETING", "locale": "en-US"}
    source = created(api.post("/v1/signup-sources", json=footer))
    news = created(api.post("/v1/topics", json={"name": "Newsletter"}))
    offers = created(api.post("/v1/topics", json={"name": "Offers", "subscribed_by_default": True}))
    product = created(api.post("/v1/topics", json={"name": "Product news"}))
    body = {
        "subscriptions": [
            {"channel": "EMAIL", "type": "MARKETING", "signup_source_id": source["id"]}
        ],
        "topics": {news["id"]: True},
    }
    state = created(api.put("/v1/customers/ada/subscriptions", json=body))
    companies = created(api.post("/v1/object-types", json={"name": "Companies"}))
    relationship = {"object_type_id": companies["id"], "object_id": "acme"}
    added = {"add": [relationship | {"attributes": {"role": "buyer"}}]}
    created(api.patch("/v1/customers/ada/relationships", json=added))

    page = signed_in
    page.goto("/ui/customers?q=ada@example.com")
    expect(page.get_by_role("heading", name="Customer ada")).to_be_visible()
    subscription = page.locator("tr[data-subscription='EMAIL-MARKETING']")
    expect(subscription.locator("[data-cell='status']")).to_contain_text("subscribed")
    expect(subscription).to_contain_text("Footer form")
    expect(subscription).to_contain_text("en-US")
    for topic in (news, offers, product):
        receives = "yes" if state["effective_topics"][topic["id"]] else "no"
        row = page.locator(f"tr[data-topic='{topic['id']}']")
        expect(row.locator("[data-cell='receives']")).to_have_text(receives)
    expect(page.locator(f"tr[data-topic='{news['id']}'] [data-cell='set-by']")).to_have_text(
        "the customer"
    )
    offers_set_by = page.locator(f"tr[data-topic='{offers['id']}'] [data-cell='set-by']")
    expect(offers_set_by.locator(".badge")).to_have_text("default")
    expect(offers_set_by).to_contain_text("opt-out topic")
    acme = page.locator(f"tr[data-relationship='{companies['id']}:acme']")
    expect(acme).to_contain_text("Companies")
    expect(acme.locator("[data-cell='attributes'] dt")).to_have_text("role")
    expect(acme.locator("[data-cell='attributes'] dd")).to_have_text('"buyer"')
    topic_change = page.locator("li[data-type='topic_preference_changed']")
    expect(topic_change.locator("[data-cell='after']")).to_have_text("after true")
    expect(topic_change.locator(".details")).to_contain_text(news["id"])
    shots.take(page, "customer-reach")

    created(api.put("/v1/customers/ada/subscriptions", json={"unsubscribed": True}))
    page.reload()
    expect(page.locator("[data-cell='global-unsubscribe']")).to_be_visible()
    expect(page.locator("tr[data-topic] [data-cell='receives']")).to_have_text(["no"] * 3)
    unsubscribed = page.locator("li[data-type='unsubscribed_changed']")
    expect(unsubscribed.locator("[data-cell='before']")).to_have_text("before false")
    expect(unsubscribed.locator("[data-cell='after']")).to_have_text("after true")
    shots.take(page, "customer-unsubscribed")


def test_the_undo_button_brings_the_merged_customer_back(
    signed_in: Page, api: httpx.Client
) -> None:
    created(api.put("/v1/customers/p", json={"attributes": {"plan": "pro"}}))
    created(api.put("/v1/customers/s", json={"email": "s@example.com"}))
    body = {"primary": {"id": "p"}, "secondary": {"id": "s"}}
    merge_id = created(api.post("/v1/customers/merge", json=body))["merge_id"]

    page = signed_in
    page.goto("/ui/customers?q=p")
    merge = page.locator(f"tr[data-merge='{merge_id}']")
    expect(merge.locator("[data-cell='state']")).to_have_text("merged")
    merge.get_by_role("button", name="Undo merge").click()

    expect(page.get_by_role("status")).to_contain_text("Merge undone")
    expect(merge.locator("[data-cell='state']")).to_have_text("undone")
    page.get_by_role("link", name="the merged customer").click()
    expect(page.get_by_role("heading", name="Customer s")).to_be_visible()
    assert api.get("/v1/customers/s").json()["email"] == "s@example.com"
