"""Sign-up sources and topics: workspace configuration."""

import httpx

from tests.support.problems import assert_problem
from tests.support.workspaces import TestWorkspace


def test_signup_sources_get_integer_ids_from_one(api: httpx.Client) -> None:
    first = api.post(
        "/v1/signup-sources",
        json={"name": "Footer", "channel": "EMAIL", "type": "MARKETING", "locale": "en_us"},
    )
    assert first.status_code == 201, first.text
    assert first.json()["id"] == "1"
    assert first.json()["locale"] == "en-US"
    assert first.json()["created_via"] == "api"
    second = api.post(
        "/v1/signup-sources", json={"name": "Checkout", "channel": "TEXT", "type": "MARKETING"}
    )
    assert second.json()["id"] == "2"
    assert [item["id"] for item in api.get("/v1/signup-sources").json()["items"]] == ["1", "2"]
    assert api.get("/v1/signup-sources/2").json()["name"] == "Checkout"
    assert api.delete("/v1/signup-sources/2").status_code == 204
    assert_problem(api.get("/v1/signup-sources/2"), 404)
    assert_problem(api.get("/v1/signup-sources/x"), 422, "signup_source_id")


def test_signup_source_fields_are_checked(api: httpx.Client) -> None:
    for body, field in (
        ({"name": "a", "channel": "FAX", "type": "MARKETING"}, "channel"),
        ({"name": "a", "channel": "EMAIL", "type": "PROMO"}, "type"),
        ({"name": "a", "channel": "EMAIL", "type": "MARKETING", "locale": "english!"}, "locale"),
        ({"name": " ", "channel": "EMAIL", "type": "MARKETING"}, "name"),
    ):
        assert_problem(api.post("/v1/signup-sources", json=body), 422, field)


def test_configuration_needs_workspace_admin(workspace: TestWorkspace) -> None:
    with workspace.client(workspace.key(["attributes:read", "subscriptions:write"])) as client:
        source = {"name": "a", "channel": "EMAIL", "type": "MARKETING"}
        assert_problem(client.post("/v1/signup-sources", json=source), 403)
        assert_problem(client.post("/v1/topics", json={"name": "News"}), 403)
        assert client.get("/v1/topics").status_code == 200


def test_topics_are_numbered_topic_n(api: httpx.Client) -> None:
    news = api.post("/v1/topics", json={"name": "News", "description": "weekly"})
    assert news.status_code == 201, news.text
    assert news.json()["id"] == "topic_1"
    assert news.json()["subscribed_by_default"] is False
    offers = api.post("/v1/topics", json={"name": "Offers", "subscribed_by_default": True})
    assert offers.json()["id"] == "topic_2"
    assert api.get("/v1/topics/topic_2").json()["name"] == "Offers"
    assert_problem(api.get("/v1/topics/2"), 422, "topic_id")
    assert api.delete("/v1/topics/topic_1").status_code == 204
    assert [item["id"] for item in api.get("/v1/topics").json()["items"]] == ["topic_2"]
