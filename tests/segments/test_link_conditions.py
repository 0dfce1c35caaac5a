"""Conditions on subscriptions, topics and relationships, on both backends."""

from typing import Any

import httpx
import pytest

from tests.segments.support import preview_ids, put
from tests.support.problems import assert_problem


def created(answer: httpx.Response) -> dict[str, Any]:
    assert answer.status_code == 201, answer.text
    body: dict[str, Any] = answer.json()
    return body


def subscribe(api: httpx.Client, customer: str, **body: Any) -> None:
    answer = api.put(f"/v1/customers/{customer}/subscriptions", json=body)
    assert answer.status_code == 200, answer.text


@pytest.fixture
def linked(api: httpx.Client) -> dict[str, Any]:
    email_source = created(
        api.post(
            "/v1/signup-sources", json={"name": "web", "channel": "EMAIL", "type": "MARKETING"}
        )
    )
    text_source = created(
        api.post("/v1/signup-sources", json={"name": "sms", "channel": "TEXT", "type": "MARKETING"})
    )
    opt_in = created(api.post("/v1/topics", json={"name": "news"}))
    opt_out = created(api.post("/v1/topics", json={"name": "tips", "subscribed_by_default": True}))
    companies = created(api.post("/v1/object-types", json={"name": "Companies"}))
    put(api, "ann", email="ann@example.com", phone="+19148440001")
    put(api, "ben", email="ben@example.com")
    put(api, "cat", email="cat@example.com")
    email = {"channel": "EMAIL", "type": "MARKETING", "signup_source_id": email_source["id"]}
    text = {"channel": "TEXT", "type": "MARKETING", "signup_source_id": text_source["id"]}
    subscribe(api, "ann", subscriptions=[email, text], topics={opt_in["id"]: True})
    subscribe(api, "ben", subscriptions=[{**email, "status": "unsubscribed"}])
    subscribe(api, "cat", unsubscribed=True)
    subscribe(api, "ben", topics={opt_out["id"]: False})
    for customer, company in (("ann", "acme"), ("ben", "globex")):
        answer = api.patch(
            f"/v1/customers/{customer}/relationships",
            json={"add": [{"object_type_id": companies["id"], "object_id": company}]},
        )
        assert answer.status_code == 200, answer.text
    return {"api": api, "news": opt_in["id"], "tips": opt_out["id"], "companies": companies["id"]}


def test_subscription_conditions(linked: dict[str, Any]) -> None:
    api = linked["api"]
    cases: list[tuple[dict[str, Any], set[str]]] = [
        ({"subscription": {"channel": "EMAIL"}}, {"ann"}),
        ({"subscription": {"channel": "TEXT", "type": "MARKETING"}}, {"ann"}),
        ({"subscription": {"type": "TRANSACTIONAL"}}, set()),
        ({"subscription": {"channel": "EMAIL", "status": "unsubscribed"}}, {"ben"}),
        ({"subscription": {"topic": linked["news"]}}, {"ann"}),
        ({"subscription": {"topic": linked["tips"]}}, {"ann"}),
        ({"subscription": {"unsubscribed": True}}, {"cat"}),
        ({"subscription": {"unsubscribed": False}}, {"ann", "ben"}),
        ({"not": {"subscription": {"channel": "EMAIL"}}}, {"ben", "cat"}),
    ]
    for predicate, expected in cases:
        assert preview_ids(api, predicate) == expected, predicate


def test_relationship_conditions(linked: dict[str, Any]) -> None:
    api, companies = linked["api"], linked["companies"]
    related = {"relationship": {"object_type_id": companies}}
    assert preview_ids(api, related) == {"ann", "ben"}
    acme = {"relationship": {"object_type_id": companies, "object_id": "acme"}}
    assert preview_ids(api, acme) == {"ann"}
    mixed = {"all": [related, {"subscription": {"channel": "EMAIL"}}]}
    assert preview_ids(api, mixed) == {"ann"}


def test_link_errors_name_the_field(linked: dict[str, Any]) -> None:
    api = linked["api"]
    bad: list[tuple[dict[str, Any], str]] = [
        ({"subscription": {"channel": "FAX"}}, "predicate.subscription.channel"),
        ({"subscription": {"topic": "topic_99"}}, "predicate.subscription.topic"),
        ({"subscription": {"topic": linked["news"], "channel": "EMAIL"}}, "predicate.subscription"),
        ({"subscription": {"unsubscribed": "yes"}}, "predicate.subscription.unsubscribed"),
        ({"subscription": {"colour": 1}}, "predicate.subscription.colour"),
        ({"subscription": []}, "predicate.subscription"),
        ({"relationship": {"object_type_id": "99"}}, "predicate.relationship.object_type_id"),
        ({"relationship": {"object_type_id": 1}}, "predicate.relationship.object_type_id"),
        ({"relationship": {"object_id": "acme"}}, "predicate.relationship"),
    ]
    for predicate, field in bad:
        answer = api.post("/v1/segments/preview", json={"predicate": predicate})
        assert_problem(answer, 422, field)
