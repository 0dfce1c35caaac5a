"""The Attentive dialect (seeds 001 and 002), driven exactly as the seed's samples do."""

from typing import Any

import httpx
import pytest

from tests.support.workspaces import TestWorkspace

V1 = "/compat/attentive/v1/attributes/custom"
V2 = "/compat/attentive/v2/user/attributes"
SEED_SAMPLE_PROPERTIES = {
    "age": "24",
    "birthday": "1986-11-16",
    "sign up": "2021-04-23T16:04:33Z",
    "favorite team": "Minnesota Vikings",
    "Gift card balance": "50.89",
    "VIP": "TRUE",
}


def v1(client: httpx.Client, properties: dict[str, Any], **user: Any) -> httpx.Response:
    return client.post(V1, json={"properties": properties, "user": user or {"email": "a@b.co"}})


def v2(client: httpx.Client, **body: Any) -> httpx.Response:
    body.setdefault("identifiers", {"email": "a@b.co"})
    return client.post(V2, json=body)


def assert_error(answer: httpx.Response, status: int, field: str | None = None) -> None:
    assert answer.status_code == status, answer.text
    body = answer.json()
    assert body["status"] == status
    assert body["message"]
    if field is not None:
        assert field in [error["field"] for error in body["errors"]], body


def native(api: httpx.Client, ref: str) -> dict[str, Any]:
    answer = api.get(f"/v1/customers/{ref}")
    assert answer.status_code == 200, answer.text
    customer: dict[str, Any] = answer.json()
    return customer


def catalog_types(api: httpx.Client) -> dict[str, str]:
    return {item["name"]: item["type"] for item in api.get("/v1/attributes").json()["items"]}


# Seed 001: custom attributes


def test_v1_seed_sample_is_accepted_and_typed_by_first_value(
    attentive: httpx.Client, api: httpx.Client
) -> None:
    answer = attentive.post(
        V1,
        json={
            "properties": SEED_SAMPLE_PROPERTIES,
            "user": {
                "phone": "+13115552368",
                "email": "test@gmail.com",
                "externalIdentifiers": {
                    "clientUserId": "u-1",
                    "customIdentifiers": [{"name": "loyalty", "value": "L-9"}],
                },
            },
        },
    )
    assert answer.status_code == 200, answer.text
    customer = native(api, "u-1")
    assert customer["email"] == "test@gmail.com"
    assert customer["phone"] == "+13115552368"
    assert customer["custom_identifiers"] == {"loyalty": "L-9"}
    assert customer["attributes"]["age"] == 24
    assert customer["attributes"]["Gift card balance"] == 50.89
    types = catalog_types(api)
    assert types["age"] == "number"
    assert types["Gift card balance"] == "number"
    assert types["favorite team"] == "string"
    assert types["sign up"] == "datetime"


def test_v1_type_is_fixed_by_the_first_value(attentive: httpx.Client) -> None:
    assert v1(attentive, {"age": "24"}).status_code == 200
    assert v1(attentive, {"age": 25}).status_code == 200
    assert_error(v1(attentive, {"age": "old"}), 400, "properties.age")


def test_v1_names_and_values_are_case_sensitive(attentive: httpx.Client, api: httpx.Client) -> None:
    v1(attentive, {"Favorite color": "Red", "Favorite Color": "red"})
    attributes = native(api, "email:a@b.co")["attributes"]
    assert attributes == {"Favorite color": "Red", "Favorite Color": "red"}


def test_v1_ui_created_enum_accepts_only_its_values(
    attentive: httpx.Client, api: httpx.Client
) -> None:
    declared = api.post(
        "/v1/attributes",
        json={"name": "segment", "type": "enum", "enum_values": ["Adult", "Teen", "Children's"]},
    )
    assert declared.status_code == 201, declared.text
    assert v1(attentive, {"segment": "Teen"}).status_code == 200
    assert_error(v1(attentive, {"segment": "Senior"}), 400, "properties.segment")
    assert_error(v1(attentive, {"segment": "teen"}), 400, "properties.segment")


def test_v1_custom_input_properties_accept_any_value(
    attentive: httpx.Client, api: httpx.Client
) -> None:
    api.post("/v1/attributes", json={"name": "Full Name", "type": "string"})
    assert v1(attentive, {"Full Name": "Ada Lovelace"}).status_code == 200


def test_v1_arrays_are_refused_with_400(attentive: httpx.Client) -> None:
    answer = v1(attentive, {"favorite_city": ["chicago", "new york"]})
    assert_error(answer, 400, "properties.favorite_city")


def test_v1_names_at_most_200_characters(attentive: httpx.Client) -> None:
    assert v1(attentive, {"n" * 200: 1}).status_code == 200
    assert_error(v1(attentive, {"n" * 201: 1}), 400, f"properties.{'n' * 201}")


def test_v1_needs_phone_email_or_an_external_identifier(attentive: httpx.Client) -> None:
    answer = attentive.post(V1, json={"properties": {"a": 1}, "user": {}})
    assert_error(answer, 400, "user")
    assert_error(attentive.post(V1, json={"user": {"email": "a@b.co"}}), 400, "properties")
    for user in (
        {"phone": "+19148440001"},
        {"externalIdentifiers": {"clientUserId": "u-2"}},
        {"externalIdentifiers": {"customIdentifiers": [{"name": "crm", "value": "9"}]}},
    ):
        assert attentive.post(V1, json={"properties": {"a": 1}, "user": user}).status_code == 200


def test_v1_has_no_attribute_limit_unless_the_workspace_sets_one(
    attentive: httpx.Client, api: httpx.Client
) -> None:
    many = {f"a{number}": number for number in range(120)}
    assert v1(attentive, many).status_code == 200
    api.patch("/v1/workspace/settings", json={"max_attributes": 121})
    assert v1(attentive, {"b1": 1}).status_code == 200
    assert_error(v1(attentive, {"b2": 1}), 400)


def test_v1_authentication_and_scope(attentive: httpx.Client, workspace: TestWorkspace) -> None:
    body = {"properties": {"a": 1}, "user": {"email": "a@b.co"}}
    with httpx.Client(base_url=workspace.backend.base_url) as anonymous:
        answer = anonymous.post(V1, json=body)
        assert_error(answer, 401)
        assert answer.headers["www-authenticate"].startswith("Bearer")
        assert_error(anonymous.post(V1, json=body, headers={"Authorization": "Bearer nope"}), 401)
    with workspace.client(workspace.key(["attributes:read"])) as reader:
        assert_error(reader.post(V1, json=body), 403)


def test_v1_malformed_bodies_are_400(attentive: httpx.Client) -> None:
    answer = attentive.post(V1, content=b"{not json", headers={"Content-Type": "application/json"})
    assert_error(answer, 400)
    assert_error(attentive.post(V1, json=["properties"]), 400)


# Seed 002: user properties


def test_v2_creates_then_updates_a_user_and_answers_202(
    attentive: httpx.Client, api: httpx.Client
) -> None:
    answer = v2(attentive, attributes={"plan": "gold"}, identifiers={"email": "Ada@Example.com"})
    assert answer.status_code == 202, answer.text
    assert answer.json()["success"] is True
    assert isinstance(answer.json()["message"], str)
    answer = v2(
        attentive,
        attributes={"plan": "platinum", "city": "Lisbon"},
        identifiers={"email": "ada@example.com", "phone": "+442071838750"},
    )
    assert answer.status_code == 202, answer.text
    customer = native(api, "email:ada@example.com")
    assert customer["attributes"] == {"plan": "platinum", "city": "Lisbon"}
    assert customer["phone"] == "+442071838750"
    assert len(api.get("/v1/customers").json()["items"]) == 1


def test_v2_identifiers_include_shopify_klaviyo_and_custom(
    attentive: httpx.Client, api: httpx.Client
) -> None:
    identifiers = {
        "clientUserId": "u-7",
        "shopifyId": "s-1",
        "klaviyoId": "k-1",
        "customIdentifiers": [{"name": "crm", "value": "c-1"}],
    }
    assert v2(attentive, identifiers=identifiers).status_code == 202
    customer = native(api, "custom:shopifyId:s-1")
    assert customer["id"] == "u-7"
    assert customer["custom_identifiers"] == {"shopifyId": "s-1", "klaviyoId": "k-1", "crm": "c-1"}


def test_v2_limit_of_100_custom_attributes(attentive: httpx.Client) -> None:
    hundred = {f"a{number}": number for number in range(100)}
    assert v2(attentive, attributes=hundred).status_code == 202
    assert_error(v2(attentive, attributes={"one more": 1}), 400)
    assert v2(attentive, attributes={"a0": 5}).status_code == 202


def test_v2_arrays_and_maps_are_refused(attentive: httpx.Client, api: httpx.Client) -> None:
    assert_error(v2(attentive, attributes={"city": ["New York City"]}), 400, "attributes.city")
    answer = v2(attentive, attributes={"city": {"favorite city": "Boston"}})
    assert_error(answer, 400, "attributes.city")
    assert api.get("/v1/customers/email:a@b.co").status_code == 404


def test_v2_enum_values_must_exist(attentive: httpx.Client, api: httpx.Client) -> None:
    api.post("/v1/attributes", json={"name": "tier", "type": "enum", "enum_values": ["gold"]})
    assert v2(attentive, attributes={"tier": "gold"}).status_code == 202
    assert_error(v2(attentive, attributes={"tier": "silver"}), 400, "attributes.tier")
    assert api.get("/v1/attributes/tier").json()["enum_values"] == ["gold"]


@pytest.mark.parametrize("phone", ["+19148440001", "+442071838750", "+551155256325"])
def test_v2_e164_phones_are_accepted(attentive: httpx.Client, phone: str) -> None:
    assert v2(attentive, identifiers={"phone": phone}).status_code == 202


@pytest.mark.parametrize("phone", ["19148440001", "+1---914---844---0001", "1 () 914 844 0001"])
def test_v2_other_phones_are_refused(attentive: httpx.Client, phone: str) -> None:
    assert_error(v2(attentive, identifiers={"phone": phone}), 400, "identifiers.phone")


def test_v2_identifier_rules(attentive: httpx.Client) -> None:
    assert_error(v2(attentive, identifiers={}), 400, "identifiers")
    assert_error(v2(attentive, identifiers={"email": ""}), 400, "identifiers.email")
    answer = v2(attentive, identifiers={"clientUserId": "x" * 101})
    assert_error(answer, 400, "identifiers.clientUserId")
    assert v2(attentive, identifiers={"clientUserId": "x" * 100}).status_code == 202
    assert v2(attentive, identifiers={"email": "n@b.co", "phone": None}).status_code == 202


def test_v2_identifiers_of_two_users_are_not_bridged_silently(
    attentive: httpx.Client, api: httpx.Client
) -> None:
    v2(attentive, identifiers={"email": "one@example.com"})
    v2(attentive, identifiers={"phone": "+19148440001"})
    answer = v2(
        attentive,
        attributes={"plan": "gold"},
        identifiers={"email": "one@example.com", "phone": "+19148440001"},
    )
    assert answer.status_code == 202
    one = native(api, "email:one@example.com")
    assert one["phone"] is None
    assert one["attributes"] == {"plan": "gold"}
    history = api.get(f"/v1/customers/profile:{one['profile_id']}/activity").json()["items"]
    assert "attribute_update_failure" in [entry["type"] for entry in history]


def test_v2_activity_names_the_dialect(attentive: httpx.Client, api: httpx.Client) -> None:
    v2(attentive, attributes={"plan": "gold"})
    history = api.get("/v1/customers/email:a@b.co/activity").json()["items"]
    assert {entry["source"] for entry in history} == {"attentive"}


def signup_source(api: httpx.Client, channel: str, locale: str = "en-US") -> str:
    body = {"name": f"{channel} unit", "channel": channel, "type": "MARKETING", "locale": locale}
    answer = api.post("/v1/signup-sources", json=body)
    assert answer.status_code == 201, answer.text
    source_id: str = answer.json()["id"]
    return source_id


def subscriptions_of(api: httpx.Client, ref: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = api.get(f"/v1/customers/{ref}/subscriptions").json()[
        "subscriptions"
    ]
    return found


ADA = {"email": "ada@example.com", "phone": "+19148440001"}


def test_v2_subscriptions_need_the_subscriptions_scope(workspace: TestWorkspace) -> None:
    subscription = {"channel": "TEXT", "type": "MARKETING", "signUpSourceId": "1"}
    with workspace.client(workspace.key(["attributes:write"])) as writer:
        assert_error(v2(writer, subscriptions=[subscription]), 403)
        assert_error(v2(writer, subscriptions=[{"channel": "FAX", "type": "MARKETING"}]), 400)


def test_v2_opt_in_with_a_signup_source_id(attentive: httpx.Client, api: httpx.Client) -> None:
    source_id = signup_source(api, "TEXT")
    subscription = {
        "channel": "TEXT",
        "type": "MARKETING",
        "signUpSourceId": source_id,
        "singleOptIn": True,
    }
    answer = v2(
        attentive, attributes={"plan": "gold"}, subscriptions=[subscription], identifiers=ADA
    )
    assert answer.status_code == 202, answer.text
    [made] = subscriptions_of(api, "email:ada@example.com")
    assert (made["channel"], made["status"], made["signup_source_id"]) == (
        "TEXT",
        "subscribed",
        source_id,
    )
    assert made["single_opt_in"] is True
    assert native(api, "email:ada@example.com")["attributes"] == {"plan": "gold"}


def test_v2_opt_in_by_locale_and_type_needs_exactly_one_api_unit(
    attentive: httpx.Client, api: httpx.Client
) -> None:
    by_locale = [{"channel": "EMAIL", "type": "MARKETING", "locale": "en-US"}]
    answer = v2(attentive, attributes={"plan": "gold"}, subscriptions=by_locale, identifiers=ADA)
    assert_error(answer, 400, "subscriptions[0].locale")
    assert api.get("/v1/customers/email:ada@example.com").status_code == 404
    signup_source(api, "EMAIL")
    assert v2(attentive, subscriptions=by_locale, identifiers=ADA).status_code == 202
    assert [item["channel"] for item in subscriptions_of(api, "email:ada@example.com")] == ["EMAIL"]
    signup_source(api, "EMAIL")
    answer = v2(attentive, subscriptions=[{**by_locale[0], "type": "MARKETING"}], identifiers=ADA)
    assert_error(answer, 400, "subscriptions[0].locale")


def test_v2_opt_in_needs_a_source_or_a_locale(attentive: httpx.Client) -> None:
    answer = v2(
        attentive, subscriptions=[{"channel": "TEXT", "type": "MARKETING"}], identifiers=ADA
    )
    assert_error(answer, 400, "subscriptions[0].signUpSourceId")


def test_v2_subscription_errors_name_attentive_fields(
    attentive: httpx.Client, api: httpx.Client
) -> None:
    text_source = signup_source(api, "TEXT")
    email_opt_in = {"channel": "EMAIL", "type": "MARKETING", "signUpSourceId": text_source}
    unknown = {"channel": "TEXT", "type": "MARKETING", "signUpSourceId": "999"}
    twice = {"channel": "TEXT", "type": "MARKETING", "signUpSourceId": text_source}
    cases = [
        ([unknown], "subscriptions[0].signUpSourceId"),
        ([twice, email_opt_in], "subscriptions[1].signUpSourceId"),  # a TEXT unit for EMAIL
        ([twice, twice], "subscriptions[1]"),
        ([{"channel": "TEXT", "type": "MARKETING"}], "subscriptions[0].signUpSourceId"),
        ([{"channel": "FAX", "type": "MARKETING"}], "subscriptions[0].channel"),  # pydantic's
    ]
    for requested, field in cases:
        answer = v2(attentive, subscriptions=requested, identifiers=ADA)
        assert_error(answer, 400, field)
        body = answer.json()
        assert body["message"].startswith(field), body
        assert "signup_source_id" not in answer.text
        assert "subscriptions.0" not in answer.text
        assert "subscriptions.1" not in answer.text


def test_v2_text_opt_in_needs_a_phone(attentive: httpx.Client, api: httpx.Client) -> None:
    source_id = signup_source(api, "TEXT")
    subscription = {"channel": "TEXT", "type": "MARKETING", "signUpSourceId": source_id}
    answer = v2(attentive, subscriptions=[subscription], identifiers={"email": "x@example.com"})
    assert_error(answer, 400, "subscriptions[0].channel")


def test_v2_subscribing_again_is_recorded_and_changes_nothing(
    attentive: httpx.Client, api: httpx.Client
) -> None:
    source_id = signup_source(api, "TEXT")
    subscription = {"channel": "TEXT", "type": "MARKETING", "signUpSourceId": source_id}
    assert v2(attentive, subscriptions=[subscription], identifiers=ADA).status_code == 202
    first = subscriptions_of(api, "email:ada@example.com")
    assert v2(attentive, subscriptions=[subscription], identifiers=ADA).status_code == 202
    assert subscriptions_of(api, "email:ada@example.com") == first
    types = [
        item["type"]
        for item in api.get("/v1/customers/email:ada@example.com/activity").json()["items"]
    ]
    assert types.count("subscription_repeated") == 1


def test_v2_unknown_fields_are_400(attentive: httpx.Client) -> None:
    assert_error(v2(attentive, attributez={"a": 1}), 400, "attributez")


def test_unknown_resources_are_404_in_the_same_shape(attentive: httpx.Client) -> None:
    assert_error(attentive.get("/compat/attentive/v1/nothing-here"), 404)
    assert_error(attentive.put(V1, json={}), 404)
