"""The Attentive dialect's `POST /v2/user/attributes` as Attentive's current API reference
documents it (docs.attentivemobile.com/openapi/reference-v2/tag/User-Properties, schema
CreateUserAttributesRequestDtoV2), next to the seed's forms (tests/dialects/test_attentive.py).
"""

from typing import Any

import httpx

from tests.dialects.test_attentive import (
    ADA,
    assert_error,
    catalog_types,
    native,
    signup_source,
    subscriptions_of,
    v2,
)

# The reference's request sample, built from its schema's `example` values.
DOCUMENTED_ATTRIBUTES: dict[str, Any] = {
    "firstName": "John",
    "lastName": "Smith",
    "demographic": {
        "language": "English/American",
        "dateOfBirth": "2022-11-08",
        "age": 29,
        "organization": "Acme Sports",
        "title": "Mr",
        "website": "http://johnsmith.com",
    },
    "location": {
        "address1": "456 Elm Avenue",
        "address2": "Suite 300",
        "city": "Brooklyn",
        "state": "NY",
        "zip": "11222",
        "latitude": "40.730610",
        "longitude": "-73.935242",
        "country": "US",
        "region": "AU-NSW",
        "timezone": "EST",
    },
    "locale": {"language": "French", "country": "CA"},
    "custom": {"lucky number": 6, "favorite color": "green", "has pets": True},
}
DOCUMENTED_IDENTIFIERS = {
    "email": "jsmith@attentive.com",
    "phone": "+15008675309",
    "shopifyId": "345678901",
    "klaviyoId": "a1b2c3d4e5f6a7b8c9d0e1f2",
    "clientUserId": "freeform-client-id",
    "customIdentifiers": [{"key": "loyalty_points_id", "value": "ADFK4D7D"}],
}


def test_documented_sample_stores_custom_and_personal_attributes(
    attentive: httpx.Client, api: httpx.Client
) -> None:
    """Reference v2, User Properties: the request sample (attributes and identifiers)."""
    answer = v2(attentive, attributes=DOCUMENTED_ATTRIBUTES, identifiers=DOCUMENTED_IDENTIFIERS)
    assert answer.status_code == 202, answer.text
    assert answer.json()["success"] is True
    customer = native(api, "freeform-client-id")
    attributes = customer["attributes"]
    assert {name: attributes[name] for name in ("lucky number", "favorite color", "has pets")} == {
        "lucky number": 6,
        "favorite color": "green",
        "has pets": True,
    }
    assert "custom" not in attributes
    assert (attributes["first_name"], attributes["last_name"]) == ("John", "Smith")
    assert attributes["age"] == 29
    assert attributes["date_of_birth"].startswith("2022-11-08")
    assert attributes["address_1"] == "456 Elm Avenue"
    assert [attributes[name] for name in ("city", "state", "zip")] == ["Brooklyn", "NY", "11222"]
    assert attributes["latitude"] == "40.730610"
    assert (attributes["locale_language"], attributes["locale_country"]) == ("French", "CA")
    assert customer["custom_identifiers"] == {
        "loyalty_points_id": "ADFK4D7D",
        "shopifyId": "345678901",
        "klaviyoId": "a1b2c3d4e5f6a7b8c9d0e1f2",
    }
    types = catalog_types(api)
    assert types["zip"] == "string"  # documented as a string: "11222" is not a number here
    assert types["lucky number"] == "number"


def test_personal_details_take_priority_over_custom_properties(
    attentive: httpx.Client, api: httpx.Client
) -> None:
    """Reference v2: "These attributes will take priority over custom properties"."""
    attributes = {
        "firstName": "Ada",
        "location": {"city": "Lisbon"},
        "custom": {"first_name": "Augusta", "city": "Porto", "plan": "gold"},
    }
    assert v2(attentive, attributes=attributes).status_code == 202
    stored = native(api, "email:a@b.co")["attributes"]
    assert stored == {"first_name": "Ada", "city": "Lisbon", "plan": "gold"}


def test_seed_flat_form_and_custom_together(attentive: httpx.Client, api: httpx.Client) -> None:
    """Seed 002's flat `attributes` keeps working, also next to today's `custom`."""
    assert v2(attentive, attributes={"plan": "gold", "locale": "en-US"}).status_code == 202
    assert v2(attentive, attributes={"tier": 2, "custom": {"vip": True}}).status_code == 202
    stored = native(api, "email:a@b.co")["attributes"]
    assert stored == {"plan": "gold", "locale": "en-US", "tier": 2, "vip": True}
    answer = v2(attentive, attributes={"vip": False, "custom": {"vip": True}})
    assert_error(answer, 400, "attributes.custom.vip")


def test_custom_attribute_errors_name_where_the_request_held_them(
    attentive: httpx.Client, api: httpx.Client
) -> None:
    """Reference v2: arrays and maps as custom attributes are a 400."""
    answer = v2(attentive, attributes={"custom": {"favorite city": ["New York City"]}})
    assert_error(answer, 400, "attributes.custom.favorite city")
    answer = v2(attentive, attributes={"custom": {"favorite city": {"city": "Boston"}}})
    assert_error(answer, 400, "attributes.custom.favorite city")
    api.post("/v1/attributes", json={"name": "title", "type": "enum", "enum_values": ["Dr"]})
    answer = v2(attentive, attributes={"demographic": {"title": "Mr"}})
    assert_error(answer, 400, "attributes.demographic.title")
    assert_error(v2(attentive, attributes={"demographic": {"age": "old"}}), 400)
    assert_error(v2(attentive, attributes={"location": {"planet": "Mars"}}), 400)
    assert api.get("/v1/customers/email:a@b.co").status_code == 404


def test_custom_attributes_count_against_the_limit_of_100(attentive: httpx.Client) -> None:
    """Reference v2: "a limit of 100 of custom attributes"."""
    hundred = {f"a{number}": number for number in range(100)}
    assert v2(attentive, attributes={"custom": hundred}).status_code == 202
    answer = v2(attentive, attributes={"custom": {"one more": 1}})
    assert_error(answer, 400, "attributes.custom.one more")


def test_custom_identifiers_by_key_or_by_name(attentive: httpx.Client, api: httpx.Client) -> None:
    """Reference v2 CustomIdentifier is `{key, value}`; v1's (and the seed's) `{name, value}`."""
    by_key = {"customIdentifiers": [{"key": "crm", "value": "c-1"}]}
    assert v2(attentive, identifiers=by_key).status_code == 202
    by_name = {"customIdentifiers": [{"name": "crm", "value": "c-1"}], "email": "a@b.co"}
    assert v2(attentive, identifiers=by_name, attributes={"plan": "gold"}).status_code == 202
    customer = native(api, "custom:crm:c-1")
    assert customer["email"] == "a@b.co"
    assert customer["attributes"] == {"plan": "gold"}
    both = {"customIdentifiers": [{"key": "crm", "name": "crm", "value": "c-1"}]}
    assert_error(v2(attentive, identifiers=both), 400, "identifiers.customIdentifiers[0]")
    neither = {"customIdentifiers": [{"value": "c-1"}]}
    assert_error(v2(attentive, identifiers=neither), 400, "identifiers.customIdentifiers[0]")


def test_subscriptions_by_subscription_type(attentive: httpx.Client, api: httpx.Client) -> None:
    """Reference v2: subscriptions are `{signUpSourceId, channel, subscriptionType, ...}`."""
    source_id = signup_source(api, "TEXT")
    subscription = {
        "signUpSourceId": source_id,
        "channel": "TEXT",
        "subscriptionType": "MARKETING",
        "singleOptIn": True,
    }
    answer = v2(attentive, subscriptions=[subscription], identifiers=ADA)
    assert answer.status_code == 202, answer.text
    [made] = subscriptions_of(api, "email:ada@example.com")
    assert (made["channel"], made["type"], made["signup_source_id"]) == (
        "TEXT",
        "MARKETING",
        source_id,
    )
    wrong = {**subscription, "subscriptionType": "TRANSACTIONAL"}
    answer = v2(attentive, subscriptions=[wrong], identifiers=ADA)
    assert_error(answer, 400, "subscriptions[0].signUpSourceId")
    clash = {**subscription, "type": "TRANSACTIONAL"}
    assert_error(v2(attentive, subscriptions=[clash], identifiers=ADA), 400, "subscriptions[0]")


def test_opt_in_by_locale_and_subscription_type(attentive: httpx.Client, api: httpx.Client) -> None:
    """Reference v2: without a signUpSourceId, a locale and a subscriptionType must match
    exactly one API sign-up unit; the locale also as `{language, country}`."""
    by_locale = {"channel": "EMAIL", "subscriptionType": "MARKETING", "locale": "en-US"}
    assert_error(v2(attentive, subscriptions=[by_locale], identifiers=ADA), 400)
    signup_source(api, "EMAIL")
    assert v2(attentive, subscriptions=[by_locale], identifiers=ADA).status_code == 202
    as_object = {**by_locale, "locale": {"language": "en", "country": "US"}}
    assert v2(attentive, subscriptions=[as_object], identifiers=ADA).status_code == 202
    no_type = {"channel": "EMAIL", "locale": "en-US"}
    answer = v2(attentive, subscriptions=[no_type], identifiers=ADA)
    assert_error(answer, 400, "subscriptions[0].subscriptionType")
    signup_source(api, "EMAIL")
    answer = v2(attentive, subscriptions=[by_locale], identifiers=ADA)
    assert_error(answer, 400, "subscriptions[0].locale")
