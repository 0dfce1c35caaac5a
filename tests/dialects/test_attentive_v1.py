"""The Attentive dialect's v1 routes beyond seed 001, as Attentive's current API reference
documents them (docs.attentivemobile.com/openapi/reference, tags Custom Attributes and
Subscribers: `GET /v1/attributes/custom`, `POST /v1/subscriptions`)."""

import httpx

from tests.dialects.test_attentive import V1, assert_error, signup_source, subscriptions_of, v1
from tests.support.workspaces import TestWorkspace

SUBSCRIPTIONS = "/compat/attentive/v1/subscriptions"


# GET /v1/attributes/custom


def test_get_custom_attributes_by_email_or_phone(attentive: httpx.Client) -> None:
    """Reference v1, "Get Custom Attributes for a User": `[{name, value}]`, values as strings."""
    properties = {"favorite color": "blue", "Favorite team": "Packers", "age": "24", "vip": True}
    user = {"phone": "+13115552368", "email": "test@gmail.com"}
    assert v1(attentive, properties, **user).status_code == 200
    by_email = attentive.get(V1, params={"email": "test@gmail.com"})
    assert by_email.status_code == 200, by_email.text
    assert sorted(by_email.json(), key=lambda item: item["name"]) == [
        {"name": "Favorite team", "value": "Packers"},
        {"name": "age", "value": "24"},
        {"name": "favorite color", "value": "blue"},
        {"name": "vip", "value": "true"},
    ]
    # The reference: "The '+' sign ... must be encoded in the URL query parameter as '%2B'".
    by_phone = attentive.get(f"{V1}?phone=%2B13115552368")
    assert by_phone.status_code == 200, by_phone.text
    assert by_phone.json() == by_email.json()


def test_get_custom_attributes_needs_exactly_one_of_phone_and_email(
    attentive: httpx.Client,
) -> None:
    """Reference v1: "You must include a single query parameter ... Including both will
    result in a 400 error"."""
    v1(attentive, {"a": 1}, phone="+13115552368", email="test@gmail.com")
    both = attentive.get(V1, params={"email": "test@gmail.com", "phone": "+13115552368"})
    assert_error(both, 400, "phone")
    assert_error(attentive.get(V1), 400, "phone")
    assert_error(attentive.get(V1, params={"phone": "13115552368"}), 400, "phone")


def test_get_custom_attributes_of_an_unknown_user_is_404(attentive: httpx.Client) -> None:
    assert_error(attentive.get(V1, params={"email": "nobody@example.com"}), 404)


def test_get_custom_attributes_scopes(workspace: TestWorkspace) -> None:
    """The reference names `attributes:write` for this read; `attributes:read` serves too."""
    for scopes in (["attributes:write"], ["attributes:read"]):
        with workspace.client(workspace.key(scopes)) as client:
            assert_error(client.get(V1, params={"email": "a@b.co"}), 404)
    with workspace.client(workspace.key(["subscriptions:write"])) as client:
        assert_error(client.get(V1, params={"email": "a@b.co"}), 403)


# POST /v1/subscriptions


def subscribe(client: httpx.Client, **body: object) -> httpx.Response:
    return client.post(SUBSCRIPTIONS, json=body)


def test_subscribe_by_sign_up_source_id(attentive: httpx.Client, api: httpx.Client) -> None:
    """Reference v1, "Subscribe user": 202 with `subscriptionResponses`; the sign-up unit
    gives the channel; subscribing again answers PREVIOUSLY_CREATED."""
    source_id = signup_source(api, "TEXT")
    body = {
        "user": {"phone": "+13115552368", "email": "test@gmail.com"},
        "signUpSourceId": source_id,
        "externalIdentifiers": {"clientUserId": "u-1"},
    }
    answer = subscribe(attentive, **body)
    assert answer.status_code == 202, answer.text
    assert answer.json() == {
        "user": {"phone": "+13115552368", "email": "test@gmail.com"},
        "externalIdentifiers": {"clientUserId": "u-1"},
        "subscriptionResponses": [
            {
                "subscription": {"type": "MARKETING", "channel": "TEXT"},
                "subscriptionCreationStatus": "NEWLY_CREATED",
            }
        ],
    }
    [made] = subscriptions_of(api, "u-1")
    assert (made["channel"], made["status"], made["signup_source_id"]) == (
        "TEXT",
        "subscribed",
        source_id,
    )
    again = subscribe(attentive, **body)
    assert again.status_code == 202, again.text
    [response] = again.json()["subscriptionResponses"]
    assert response["subscriptionCreationStatus"] == "PREVIOUSLY_CREATED"


def test_subscribe_by_locale_and_subscription_type(
    attentive: httpx.Client, api: httpx.Client
) -> None:
    """Reference v1: without signUpSourceId, `locale` `{language, country}` and
    `subscriptionType` must match exactly one API sign-up unit, else 400."""
    body = {
        "user": {"email": "test@gmail.com"},
        "locale": {"language": "en", "country": "US"},
        "subscriptionType": "MARKETING",
    }
    assert_error(subscribe(attentive, **body), 400, "locale")
    assert api.get("/v1/customers/email:test@gmail.com").status_code == 404
    signup_source(api, "EMAIL")
    answer = subscribe(attentive, **body)
    assert answer.status_code == 202, answer.text
    [response] = answer.json()["subscriptionResponses"]
    assert response["subscription"] == {"type": "MARKETING", "channel": "EMAIL"}
    signup_source(api, "TEXT")  # now two units match en-US MARKETING
    assert_error(subscribe(attentive, **body), 400, "locale")


def test_subscribe_errors(attentive: httpx.Client, api: httpx.Client) -> None:
    """Reference v1: a sign-up source id, or a locale with a subscription type; E.164 phones."""
    text_source = signup_source(api, "TEXT")
    user = {"phone": "+13115552368"}
    assert_error(subscribe(attentive, user=user), 400, "signUpSourceId")
    assert_error(subscribe(attentive, user=user, signUpSourceId="999"), 400, "signUpSourceId")
    only_locale = {"user": user, "locale": {"language": "en", "country": "US"}}
    assert_error(subscribe(attentive, **only_locale), 400, "subscriptionType")
    wrong_type = {"user": user, "signUpSourceId": text_source, "subscriptionType": "TRANSACTIONAL"}
    assert_error(subscribe(attentive, **wrong_type), 400, "signUpSourceId")
    no_phone = {"user": {"email": "test@gmail.com"}, "signUpSourceId": text_source}
    assert_error(subscribe(attentive, **no_phone), 400, "user")
    assert_error(subscribe(attentive, user={}, signUpSourceId=text_source), 400, "user")
    bad_phone = {"user": {"phone": "13115552368"}, "signUpSourceId": text_source}
    assert_error(subscribe(attentive, **bad_phone), 400, "user.phone")
    assert_error(subscribe(attentive, signUpSourceId=text_source), 400, "user")
    assert api.get("/v1/customers").json()["items"] == []


def test_subscribe_needs_the_subscriptions_scope(workspace: TestWorkspace) -> None:
    """Reference v1: scope `subscriptions:write`."""
    body = {"user": {"phone": "+13115552368"}, "signUpSourceId": "1"}
    with workspace.client(workspace.key(["attributes:write"])) as writer:
        assert_error(writer.post(SUBSCRIPTIONS, json=body), 403)
