"""A customer's subscriptions: opt-in resolution, identifiers, repeats, topics."""

from typing import Any

import httpx
import pytest

from tests.support.problems import assert_problem
from tests.support.workspaces import TestWorkspace


def source(api: httpx.Client, channel: str, locale: str | None = "en-US", **extra: Any) -> str:
    body = {"name": f"{channel} source", "channel": channel, "type": "MARKETING", "locale": locale}
    answer = api.post("/v1/signup-sources", json=body | extra)
    assert answer.status_code == 201, answer.text
    source_id: str = answer.json()["id"]
    return source_id


@pytest.fixture
def ada(api: httpx.Client) -> str:
    api.put("/v1/customers/ada", json={"email": "ada@example.com", "phone": "+19148440001"})
    return "ada"


def put(api: httpx.Client, customer: str, body: dict[str, Any]) -> httpx.Response:
    return api.put(f"/v1/customers/{customer}/subscriptions", json=body)


def history(api: httpx.Client, customer: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = api.get(f"/v1/customers/{customer}/activity").json()["items"]
    return items


def test_opt_in_with_a_signup_source_id(api: httpx.Client, ada: str) -> None:
    source_id = source(api, "TEXT")
    answer = put(
        api,
        ada,
        {
            "subscriptions": [
                {
                    "channel": "TEXT",
                    "type": "MARKETING",
                    "signup_source_id": source_id,
                    "single_opt_in": True,
                }
            ]
        },
    )
    assert answer.status_code == 200, answer.text
    [subscription] = answer.json()["subscriptions"]
    assert subscription["status"] == "subscribed"
    assert subscription["signup_source_id"] == source_id
    assert subscription["locale"] == "en-US"
    assert subscription["single_opt_in"] is True
    assert subscription["opted_in_at"] is not None
    assert api.get(f"/v1/customers/{ada}/subscriptions").json() == answer.json()


def test_locale_and_type_resolve_exactly_one_api_source(
    api: httpx.Client, workspace: TestWorkspace, ada: str
) -> None:
    request = {"subscriptions": [{"channel": "EMAIL", "type": "MARKETING", "locale": "en-US"}]}
    problem = assert_problem(put(api, ada, request), 422, "subscriptions.0.locale")
    assert problem["matched_signup_sources"] == {"subscriptions.0": 0}
    assert "0 API sign-up sources match" in problem["detail"]
    source(api, "EMAIL")
    source(api, "EMAIL", locale="fr-FR")
    source(api, "TEXT")
    email_source = api.get("/v1/signup-sources/1").json()
    answer = put(api, ada, request)
    assert answer.status_code == 200, answer.text
    assert answer.json()["subscriptions"][0]["signup_source_id"] == email_source["id"]
    source(api, "EMAIL")
    problem = assert_problem(put(api, ada, request), 422)
    assert problem["matched_signup_sources"] == {"subscriptions.0": 2}


def test_sources_made_in_the_ui_do_not_resolve(api: httpx.Client, workspace: TestWorkspace) -> None:
    from attrium.subscriptions import configuration
    from attrium.subscriptions.models import Channel, SubscriptionType

    ui_actor = workspace.actor.with_source("ui")
    workspace.backend.run(
        configuration.create_signup_source(
            workspace.backend.db,
            ui_actor,
            "UI form",
            Channel.EMAIL,
            SubscriptionType.MARKETING,
            "en-US",
        )
    )
    api.put("/v1/customers/c1", json={"email": "c1@example.com"})
    request = {"subscriptions": [{"channel": "EMAIL", "type": "MARKETING", "locale": "en-US"}]}
    assert_problem(put(api, "c1", request), 422, "subscriptions.0.locale")
    assert api.get("/v1/signup-sources").json()["items"][0]["created_via"] == "ui"


def test_no_source_no_subscription(api: httpx.Client, ada: str) -> None:
    request = {"subscriptions": [{"channel": "EMAIL", "type": "MARKETING"}]}
    assert_problem(put(api, ada, request), 422, "subscriptions.0.signup_source_id")
    assert api.get(f"/v1/customers/{ada}/subscriptions").json()["subscriptions"] == []
    rejected = [entry for entry in history(api, ada) if entry["type"] == "write_rejected"]
    assert len(rejected) == 1


def test_a_named_source_must_exist_and_fit(api: httpx.Client, ada: str) -> None:
    text_source = source(api, "TEXT")
    for signup_source_id, rule in (
        ("99", "signup_source.unknown"),
        (text_source, "signup_source.channel"),
    ):
        request = {
            "subscriptions": [
                {"channel": "EMAIL", "type": "MARKETING", "signup_source_id": signup_source_id}
            ]
        }
        problem = assert_problem(put(api, ada, request), 422, "subscriptions.0.signup_source_id")
        assert problem["errors"][0]["rule"] == rule


def test_text_needs_a_phone_and_email_an_email(api: httpx.Client) -> None:
    text_source, email_source = source(api, "TEXT"), source(api, "EMAIL")
    api.put("/v1/customers/nobody", json={})
    request = {
        "subscriptions": [
            {"channel": "TEXT", "type": "MARKETING", "signup_source_id": text_source},
            {"channel": "EMAIL", "type": "MARKETING", "signup_source_id": email_source},
        ]
    }
    problem = assert_problem(put(api, "nobody", request), 422)
    assert [(error["field"], error["rule"]) for error in problem["errors"]] == [
        ("subscriptions.0.channel", "phone.required"),
        ("subscriptions.1.channel", "email.required"),
    ]


def test_all_or_nothing(api: httpx.Client, ada: str) -> None:
    text_source = source(api, "TEXT")
    request = {
        "subscriptions": [
            {"channel": "TEXT", "type": "MARKETING", "signup_source_id": text_source},
            {"channel": "EMAIL", "type": "MARKETING"},
        ],
        "unsubscribed": True,
    }
    assert_problem(put(api, ada, request), 422, "subscriptions.1.signup_source_id")
    state = api.get(f"/v1/customers/{ada}/subscriptions").json()
    assert state["subscriptions"] == []
    assert state["unsubscribed"] is False


def test_subscribing_again_records_the_attempt_only(api: httpx.Client, ada: str) -> None:
    text_source = source(api, "TEXT")
    request = {
        "subscriptions": [{"channel": "TEXT", "type": "MARKETING", "signup_source_id": text_source}]
    }
    first = put(api, ada, request).json()
    second = put(api, ada, request).json()
    assert second == first
    types = [entry["type"] for entry in history(api, ada)]
    assert types[:2] == ["subscription_repeated", "subscription_changed"]


def test_opt_out_then_in_again(api: httpx.Client, ada: str) -> None:
    text_source = source(api, "TEXT")
    opt_in = {"channel": "TEXT", "type": "MARKETING", "signup_source_id": text_source}
    put(api, ada, {"subscriptions": [opt_in]})
    opt_out = {"channel": "TEXT", "type": "MARKETING", "status": "unsubscribed"}
    [out] = put(api, ada, {"subscriptions": [opt_out]}).json()["subscriptions"]
    assert out["status"] == "unsubscribed"
    assert out["opted_out_at"] is not None
    assert out["signup_source_id"] == text_source
    [back] = put(api, ada, {"subscriptions": [opt_in]}).json()["subscriptions"]
    assert back["status"] == "subscribed"
    changes = [e for e in history(api, ada) if e["type"] == "subscription_changed"]
    assert [(e["old_value"], e["new_value"]) for e in changes] == [
        ("unsubscribed", "subscribed"),
        ("subscribed", "unsubscribed"),
        (None, "subscribed"),
    ]


def test_global_unsubscribe_and_topics(api: httpx.Client, ada: str) -> None:
    api.post("/v1/topics", json={"name": "News"})
    api.post("/v1/topics", json={"name": "Offers", "subscribed_by_default": True})
    state = put(api, ada, {"topics": {"topic_1": True}}).json()
    assert state["topics"] == {"topic_1": True}
    assert state["effective_topics"] == {"topic_1": True, "topic_2": True}
    state = put(api, ada, {"topics": {"topic_2": False}}).json()
    assert state["topics"] == {"topic_1": True, "topic_2": False}
    state = put(api, ada, {"unsubscribed": True}).json()
    assert state["unsubscribed"] is True
    assert state["effective_topics"] == {"topic_1": False, "topic_2": False}
    state = put(api, ada, {"unsubscribed": False, "topics": {"topic_2": None}}).json()
    assert state["topics"] == {"topic_1": True}
    assert state["effective_topics"] == {"topic_1": True, "topic_2": True}
    problem = assert_problem(put(api, ada, {"topics": {"topic_9": True}}), 422, "topics.topic_9")
    assert problem["errors"][0]["rule"] == "topic.unknown"
    assert_problem(put(api, ada, {"topics": {"news": True}}), 422, "topics.news")


def test_subscriptions_need_their_scope_and_a_customer(
    api: httpx.Client, workspace: TestWorkspace
) -> None:
    assert_problem(put(api, "ghost", {"unsubscribed": True}), 404)
    api.put("/v1/customers/c1", json={})
    with workspace.client(workspace.key(["attributes:write", "attributes:read"])) as client:
        assert_problem(put(client, "c1", {"unsubscribed": True}), 403)


def test_deleting_a_customer_deletes_its_subscriptions(api: httpx.Client, ada: str) -> None:
    text_source = source(api, "TEXT")
    opt_in = {"channel": "TEXT", "type": "MARKETING", "signup_source_id": text_source}
    put(api, ada, {"subscriptions": [opt_in], "unsubscribed": True})
    api.delete(f"/v1/customers/{ada}")
    api.put(f"/v1/customers/{ada}", json={"phone": "+19148440001"})
    state = api.get(f"/v1/customers/{ada}/subscriptions").json()
    assert state["subscriptions"] == []
    assert state["unsubscribed"] is False


def test_segment_conditions_select_the_right_customers(
    api: httpx.Client, workspace: TestWorkspace, ada: str
) -> None:
    from sqlalchemy import select

    from attrium.customers.store import customers
    from attrium.subscriptions import conditions
    from attrium.subscriptions.models import Channel

    text_source = source(api, "TEXT")
    opt_in = {"channel": "TEXT", "type": "MARKETING", "signup_source_id": text_source}
    put(api, ada, {"subscriptions": [opt_in]})
    api.put("/v1/customers/bob", json={})
    api.post("/v1/topics", json={"name": "Offers", "subscribed_by_default": True})
    put(api, "bob", {"topics": {"topic_1": False}})

    def ids(condition: object) -> list[str]:
        async def run() -> list[str]:
            query = (
                select(customers.c.external_id)
                .where(customers.c.workspace_id == workspace.workspace.workspace_id)
                .where(condition)  # type: ignore[arg-type]
                .order_by(customers.c.external_id)
            )
            async with workspace.backend.db.reader() as connection:
                return [row[0] for row in await connection.execute(query)]

        return workspace.backend.run(run())

    assert ids(conditions.has_subscription(Channel.TEXT)) == ["ada"]
    assert ids(conditions.has_subscription(Channel.EMAIL)) == []
    assert ids(conditions.wants_topic(1, subscribed_by_default=True)) == ["ada"]
    put(api, ada, {"unsubscribed": True})
    assert ids(conditions.is_unsubscribed()) == ["ada"]
    assert ids(conditions.wants_topic(1, subscribed_by_default=True)) == []
