"""Identity rules of a write: addressing, changing identifiers, update-only, conflicts."""

import httpx

from tests.support.activity import activity_of
from tests.support.problems import assert_problem


def test_every_customer_has_an_immutable_ulid_profile_id(api: httpx.Client) -> None:
    created = api.put("/v1/customers/c1", json={}).json()
    assert len(created["profile_id"]) == 26
    renamed = api.put(f"/v1/customers/profile:{created['profile_id']}", json={"id": "c2"}).json()
    assert renamed["profile_id"] == created["profile_id"]
    assert renamed["id"] == "c2"


def test_every_prefix_form_addresses_the_customer(api: httpx.Client) -> None:
    body = {
        "email": "ada@example.com",
        "phone": "+19148440001",
        "anonymous_id": "cookie-1",
        "custom_identifiers": {"shopify": "s:1"},
    }
    profile_id = api.put("/v1/customers/a:b", json=body).json()["profile_id"]
    refs = [
        "id:a:b",
        "email:Ada@Example.com",
        "phone:+19148440001",
        "anonymous_id:cookie-1",
        f"profile:{profile_id.lower()}",
        "custom:shopify:s:1",
    ]
    for ref in refs:
        assert api.get(f"/v1/customers/{ref}").json()["profile_id"] == profile_id, ref
    assert_problem(api.get("/v1/customers/profile:not-a-ulid"), 422, "customer_id")


def test_by_profile_id_every_identifier_can_change(api: httpx.Client) -> None:
    profile_id = api.put(
        "/v1/customers/c1", json={"email": "a@example.com", "custom_identifiers": {"crm": "1"}}
    ).json()["profile_id"]
    changed = api.put(
        f"/v1/customers/profile:{profile_id}",
        json={
            "id": "c9",
            "email": "b@example.com",
            "phone": "+19148440001",
            "custom_identifiers": {"crm": "2"},
        },
    )
    assert changed.status_code == 200, changed.text
    body = changed.json()
    assert (body["id"], body["email"], body["phone"]) == ("c9", "b@example.com", "+19148440001")
    assert body["custom_identifiers"] == {"crm": "2"}
    assert_problem(api.get("/v1/customers/c1"), 404)
    [latest] = activity_of(api, "c9")[:1]
    assert latest["type"] == "customer_updated"
    assert set(latest["changes"]["identifiers"]) == {
        "id",
        "email",
        "phone",
        "custom_identifiers.crm",
    }


def test_by_other_identifiers_a_set_identifier_does_not_change(api: httpx.Client) -> None:
    api.put("/v1/customers/c1", json={"email": "a@example.com"})
    problem = assert_problem(
        api.put("/v1/customers/c1", json={"id": "c2", "attributes": {"plan": "pro"}}), 409, "id"
    )
    assert problem["customer"]["attributes"] == {"plan": "pro"}
    assert api.get("/v1/customers/c1").json()["attributes"] == {"plan": "pro"}


def test_path_identifier_of_nobody_goes_to_the_body_identifiers_owner(api: httpx.Client) -> None:
    """Customer.io: an unknown path id with a known email updates that person, who gets the id."""
    profile_id = api.put("/v1/customers/email:ada@example.com", json={}).json()["profile_id"]
    answer = api.put("/v1/customers/c7", json={"email": "ada@example.com", "attributes": {"x": 1}})
    assert answer.status_code == 200, answer.text
    assert answer.json()["profile_id"] == profile_id
    assert answer.json()["id"] == "c7"
    assert answer.json()["attributes"] == {"x": 1}


def test_update_only_never_creates(api: httpx.Client) -> None:
    answer = api.put("/v1/customers/c1", json={"update_only": True, "attributes": {"a": 1}})
    assert_problem(answer, 404)
    assert_problem(api.get("/v1/customers/c1"), 404)
    api.put("/v1/customers/c1", json={})
    answer = api.put("/v1/customers/c1", json={"update_only": True, "attributes": {"a": 1}})
    assert answer.status_code == 200
    assert answer.json()["attributes"] == {"a": 1}


def test_conflict_applies_the_rest_and_lands_in_both_activities(api: httpx.Client) -> None:
    owner = api.put("/v1/customers/c1", json={"email": "ada@example.com"}).json()
    api.put("/v1/customers/c2", json={})
    answer = api.put(
        "/v1/customers/c2", json={"email": "ada@example.com", "attributes": {"plan": "pro"}}
    )
    problem = assert_problem(answer, 409, "email")
    assert problem["conflicts"] == [
        {
            "field": "email",
            "reason": "email belongs to another customer",
            "other_profile_id": owner["profile_id"],
        }
    ]
    assert problem["customer"]["attributes"] == {"plan": "pro"}
    assert problem["customer"]["email"] is None
    assert api.get("/v1/customers/c1").json()["email"] == "ada@example.com"
    for ref in ("c1", "c2"):
        failures = [e for e in activity_of(api, ref) if e["type"] == "attribute_update_failure"]
        assert len(failures) == 1, ref
        assert failures[0]["reason"] == "email belongs to another customer"
        assert failures[0]["details"]["identifier"] == "email"
