"""The Customer.io Track API dialect (seed 004), driven with raw HTTP as its docs do."""

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.support.workspaces import TestWorkspace

PREFIX = "/compat/customerio/api/v1"


@pytest.fixture
def track(workspace: TestWorkspace) -> Iterator[httpx.Client]:
    """HTTP Basic with the workspace id as site id and an API key as the password."""
    auth = (workspace.workspace.workspace_id, workspace.token)
    with httpx.Client(base_url=workspace.backend.base_url + PREFIX, auth=auth) as client:
        yield client


def put(client: httpx.Client, identifier: str, **body: Any) -> httpx.Response:
    answer = client.put(f"/customers/{identifier}", json=body)
    return answer


def assert_ok(answer: httpx.Response) -> None:
    assert answer.status_code == 200, answer.text
    assert answer.json() == {}


def assert_error(answer: httpx.Response, status: int, mentions: str = "") -> None:
    assert answer.status_code == status, answer.text
    error = answer.json()["meta"]["error"]
    assert isinstance(error, str)
    assert error
    assert mentions in error


def person(api: httpx.Client, ref: str) -> dict[str, Any] | None:
    answer = api.get(f"/v1/customers/{ref}")
    if answer.status_code == 404:
        return None
    assert answer.status_code == 200, answer.text
    found: dict[str, Any] = answer.json()
    return found


def history_types(api: httpx.Client, profile_id: str) -> list[str]:
    items = api.get(f"/v1/customers/profile:{profile_id}/activity").json()["items"]
    return [item["type"] for item in items]


def test_put_adds_then_updates_a_person_answering_200_and_empty_json(
    track: httpx.Client, api: httpx.Client
) -> None:
    assert_ok(put(track, "5", email="bob@example.com", name="Bob", plan="premium"))
    assert_ok(put(track, "5", plan="basic", age=30))
    found = person(api, "5")
    assert found is not None
    assert found["email"] == "bob@example.com"
    assert found["attributes"] == {"name": "Bob", "plan": "basic", "age": 30}
    assert {item["source"] for item in api.get("/v1/customers/5/activity").json()["items"]} == {
        "customerio"
    }


def test_email_in_the_path_is_case_insensitive(track: httpx.Client, api: httpx.Client) -> None:
    assert_ok(put(track, "Person@Example.com", plan="a"))
    assert_ok(put(track, "PERSON@example.com", city="Porto"))
    found = person(api, "email:person@example.com")
    assert found is not None
    assert found["attributes"] == {"plan": "a", "city": "Porto"}
    assert len(api.get("/v1/customers").json()["items"]) == 1


def test_a_person_added_by_email_may_be_given_an_id(track: httpx.Client, api: httpx.Client) -> None:
    assert_ok(put(track, "ada@example.com"))
    assert_ok(put(track, "ada@example.com", id="ada-1"))
    found = person(api, "ada-1")
    assert found is not None
    assert found["email"] == "ada@example.com"


def test_body_identifier_of_a_person_assigns_them_the_path_identifier(
    track: httpx.Client, api: httpx.Client
) -> None:
    assert_ok(put(track, "ada@example.com", plan="a"))
    assert_ok(put(track, "ada-1", email="ada@example.com", plan="b"))
    found = person(api, "ada-1")
    assert found is not None
    assert found["email"] == "ada@example.com"
    assert found["attributes"] == {"plan": "b"}
    assert len(api.get("/v1/customers").json()["items"]) == 1


def test_path_and_body_naming_two_people_answer_200_and_log_a_failure(
    track: httpx.Client, api: httpx.Client
) -> None:
    assert_ok(put(track, "one", email="one@example.com"))
    assert_ok(put(track, "two", email="two@example.com"))
    assert_ok(put(track, "one", email="two@example.com", plan="gold"))
    one, two = person(api, "one"), person(api, "two")
    assert one is not None
    assert two is not None
    assert one["email"] == "one@example.com"
    assert one["attributes"] == {"plan": "gold"}
    assert two["email"] == "two@example.com"
    assert "attribute_update_failure" in history_types(api, one["profile_id"])
    assert "attribute_update_failure" in history_types(api, two["profile_id"])


def test_identifiers_once_set_change_only_through_cio_id(
    track: httpx.Client, api: httpx.Client
) -> None:
    assert_ok(put(track, "ada-1", email="ada@example.com"))
    assert_ok(put(track, "ada-1", email="new@example.com"))
    found = person(api, "ada-1")
    assert found is not None
    assert found["email"] == "ada@example.com"
    assert "attribute_update_failure" in history_types(api, found["profile_id"])
    cio_id = f"cio_{found['profile_id']}"
    assert_ok(put(track, cio_id, email="new@example.com", id="ada-2"))
    changed = person(api, f"profile:{found['profile_id']}")
    assert changed is not None
    assert (changed["id"], changed["email"]) == ("ada-2", "new@example.com")
    assert_ok(put(track, "ada-2", cio_id=found["profile_id"], id="ada-3"))
    assert person(api, "ada-3") is not None


EMAIL_BY_ID = "customerio_allow_email_updates_by_id"


def allow_email_updates_by_id(api: httpx.Client, allowed: bool | None) -> None:
    answer = api.patch("/v1/workspace/settings", json={EMAIL_BY_ID: allowed})
    assert answer.status_code == 200, answer.text
    assert answer.json()["settings"][EMAIL_BY_ID] is bool(allowed)


def test_allow_updates_to_email_using_id_is_off_by_default(
    track: httpx.Client, api: httpx.Client
) -> None:
    assert api.get("/v1/workspace").json()["settings"][EMAIL_BY_ID] is False
    assert_ok(put(track, "ada-1", email="ada@example.com"))
    assert_ok(put(track, "ada-1", email="new@example.com"))
    found = person(api, "ada-1")
    assert found is not None
    assert found["email"] == "ada@example.com"
    assert "attribute_update_failure" in history_types(api, found["profile_id"])


def test_allow_updates_to_email_using_id_when_enabled(
    track: httpx.Client, api: httpx.Client
) -> None:
    assert_ok(put(track, "ada-1", email="ada@example.com"))
    allow_email_updates_by_id(api, True)
    assert_ok(put(track, "ada-1", email="New@Example.com"))
    found = person(api, "ada-1")
    assert found is not None
    assert found["email"] == "new@example.com"
    # Only the email, and only when the person is addressed by id.
    assert_ok(put(track, "new@example.com", id="ada-2"))
    assert person(api, "ada-2") is None
    assert_ok(put(track, "cio_" + found["profile_id"], email="third@example.com"))
    assert (person(api, "ada-1") or {})["email"] == "third@example.com"
    # An email that belongs to someone else is still refused: 200 and a logged failure.
    assert_ok(put(track, "bob", email="bob@example.com"))
    assert_ok(put(track, "ada-1", email="bob@example.com"))
    assert (person(api, "ada-1") or {})["email"] == "third@example.com"
    assert (person(api, "bob") or {})["email"] == "bob@example.com"
    allow_email_updates_by_id(api, None)
    assert_ok(put(track, "ada-1", email="fourth@example.com"))
    assert (person(api, "ada-1") or {})["email"] == "third@example.com"


def test_allow_updates_to_email_using_id_is_a_boolean(api: httpx.Client) -> None:
    answer = api.patch("/v1/workspace/settings", json={EMAIL_BY_ID: "yes"})
    assert answer.status_code == 422, answer.text
    assert EMAIL_BY_ID in answer.text


def test_an_unknown_cio_id_drops_the_request(track: httpx.Client, api: httpx.Client) -> None:
    assert_ok(put(track, "cio_01HZZZZZZZZZZZZZZZZZZZZZZZ", email="x@example.com"))
    assert api.get("/v1/customers").json()["items"] == []


def test_update_flag_never_creates(track: httpx.Client, api: httpx.Client) -> None:
    assert_ok(put(track, "ghost", plan="a", _update=True))
    assert person(api, "ghost") is None
    assert_ok(put(track, "real", plan="a"))
    assert_ok(put(track, "real", plan="b", _update=True))
    found = person(api, "real")
    assert found is not None
    assert found["attributes"] == {"plan": "b"}
    assert "_update" not in found["attributes"]
    assert_error(put(track, "real", _update="yes"), 400, "_update")


def test_created_at_is_a_unix_timestamp(track: httpx.Client, api: httpx.Client) -> None:
    assert_ok(put(track, "c1", created_at=1700000000))
    found = person(api, "c1")
    assert found is not None
    assert found["attributes"]["created_at"] == 1700000000
    assert_error(put(track, "c1", created_at="yesterday"), 400, "created_at")


def test_anonymous_id_is_set_and_unique(track: httpx.Client, api: httpx.Client) -> None:
    assert_ok(put(track, "c1", anonymous_id="cookie-1"))
    found = person(api, "anonymous_id:cookie-1")
    assert found is not None
    assert found["id"] == "c1"
    assert_ok(put(track, "c2", anonymous_id="cookie-1"))
    assert person(api, "anonymous_id:cookie-1") == found


def test_empty_string_or_null_removes_an_attribute(track: httpx.Client, api: httpx.Client) -> None:
    assert_ok(put(track, "c1", plan="a", city="Porto", age=3))
    assert_ok(put(track, "c1", plan="", city=None))
    found = person(api, "c1")
    assert found is not None
    assert found["attributes"] == {"age": 3}


def test_limits_of_the_track_api(track: httpx.Client) -> None:
    assert_ok(put(track, "c1", **{f"a{number}": number for number in range(300)}))
    assert_error(put(track, "c1", extra=1), 400, "at most 300")
    assert_ok(put(track, "c2", **{"é" * 75: 1}))
    assert_error(put(track, "c2", **{"é" * 75 + "x": 1}), 400, "150")
    assert_ok(put(track, "c2", bio="x" * 1000))
    assert_error(put(track, "c2", bio="x" * 1001), 400, "1000")
    assert_ok(put(track, "i" * 150))
    assert_error(put(track, "i" * 151), 400, "150")


def test_values_must_fit_the_attribute_type(track: httpx.Client) -> None:
    assert_ok(put(track, "c1", age=30))
    assert_error(put(track, "c1", age="old"), 400, "age")
    assert_error(put(track, "c1", age=["a", "b"]), 400, "age")
    # Attributes are top-level keys of the body, so errors name them without a prefix.
    assert not put(track, "c1", age="old").json()["meta"]["error"].startswith("attributes.")


def test_basic_auth_with_the_workspace_as_site_id(
    workspace: TestWorkspace, track: httpx.Client
) -> None:
    base = workspace.backend.base_url + PREFIX
    site_id = workspace.workspace.workspace_id
    for auth in (None, ("other-site", workspace.token), (site_id, "atr_wrong")):
        with httpx.Client(base_url=base, auth=auth) as client:
            answer = put(client, "c1", plan="a")
            assert_error(answer, 401)
            assert answer.headers["www-authenticate"].startswith("Basic")
    reader = workspace.key(["attributes:read"])
    with httpx.Client(base_url=base, auth=(site_id, reader)) as client:
        assert_error(put(client, "c1", plan="a"), 401)
    garbage = {"Authorization": "Basic !!!"}
    assert_error(httpx.put(f"{base}/customers/c1", json={}, headers=garbage), 401)


def test_bodies_that_are_not_json_objects_are_400(track: httpx.Client) -> None:
    assert_error(
        track.put("/customers/c1", content=b"{", headers={"Content-Type": "application/json"}), 400
    )
    assert_error(track.put("/customers/c1", json=["plan"]), 400)


def test_delete_removes_a_person_and_deleting_nobody_is_fine(
    track: httpx.Client, api: httpx.Client
) -> None:
    assert_ok(put(track, "c1", email="c1@example.com", plan="a"))
    assert_ok(track.delete("/customers/c1"))
    assert person(api, "c1") is None
    assert_ok(track.delete("/customers/c1"))
    assert_ok(put(track, "c2", email="c2@example.com"))
    assert_ok(track.delete("/customers/C2@example.com"))
    assert person(api, "c2") is None


def test_suppress_deletes_and_blocks_recreation_until_unsuppressed(
    track: httpx.Client, api: httpx.Client
) -> None:
    assert_ok(put(track, "c1", email="c1@example.com", plan="a"))
    assert_ok(track.post("/customers/c1/suppress"))
    assert person(api, "c1") is None
    assert_ok(put(track, "c1", plan="b"))
    assert_ok(put(track, "other", email="C1@example.com"))
    assert person(api, "c1") is None
    assert person(api, "other") is None
    assert_ok(track.post("/customers/c1@example.com/unsuppress"))
    assert_ok(put(track, "c1", plan="c"))
    found = person(api, "c1")
    assert found is not None
    assert found["attributes"] == {"plan": "c"}


def test_unsuppressing_nobody_is_fine_and_an_unknown_cio_id_is_404(track: httpx.Client) -> None:
    assert_ok(track.post("/customers/nobody/unsuppress"))
    assert_error(track.post("/customers/cio_01HZZZZZZZZZZZZZZZZZZZZZZZ/suppress"), 404)


def topic(api: httpx.Client, name: str) -> str:
    answer = api.post("/v1/topics", json={"name": name})
    assert answer.status_code == 201, answer.text
    topic_id: str = answer.json()["id"]
    return topic_id


def preferences(api: httpx.Client, ref: str) -> dict[str, Any]:
    answer = api.get(f"/v1/customers/{ref}/subscriptions")
    assert answer.status_code == 200, answer.text
    state: dict[str, Any] = answer.json()
    return state


def test_unsubscribed_is_the_global_flag(track: httpx.Client, api: httpx.Client) -> None:
    assert_ok(put(track, "c1", unsubscribed=True, plan="a"))
    assert preferences(api, "c1")["unsubscribed"] is True
    assert "unsubscribed" not in (person(api, "c1") or {})["attributes"]
    assert_ok(put(track, "c1", unsubscribed=False))
    assert preferences(api, "c1")["unsubscribed"] is False
    assert_error(put(track, "c1", unsubscribed="yes"), 400, "unsubscribed")


def test_subscription_preferences_object_and_dot_notation(
    track: httpx.Client, api: httpx.Client
) -> None:
    first, second, third = topic(api, "News"), topic(api, "Offers"), topic(api, "Events")
    whole = {"topics": {first: True, second: False}}
    assert_ok(put(track, "c1", cio_subscription_preferences=whole))
    assert preferences(api, "c1")["topics"] == {first: True, second: False}
    assert_ok(put(track, "c1", **{f"cio_subscription_preferences.topics.{third}": True}))
    assert preferences(api, "c1")["topics"] == {first: True, second: False, third: True}
    assert_ok(put(track, "c1", cio_subscription_preferences={"topics": {second: True}}))
    assert preferences(api, "c1")["topics"] == {second: True}
    answer = put(track, "c1", **{"cio_subscription_preferences.topics.topic_99": True})
    assert_error(answer, 400, "cio_subscription_preferences.topics.topic_99")
    answer = put(track, "c1", cio_subscription_preferences={"topics": {"topic_99": True}})
    assert_error(answer, 400, "cio_subscription_preferences.topics.topic_99")
    assert_error(put(track, "c1", cio_subscription_preferences={"topics": {first: "y"}}), 400)


def test_preferences_need_the_subscriptions_scope(
    workspace: TestWorkspace, api: httpx.Client
) -> None:
    key = workspace.key(["attributes:write"])
    auth = (workspace.workspace.workspace_id, key)
    with httpx.Client(base_url=workspace.backend.base_url + PREFIX, auth=auth) as client:
        assert_ok(put(client, "c1", plan="a"))
        assert_error(put(client, "c1", unsubscribed=True), 401)


def test_a_failing_part_leaves_the_whole_request_unapplied(
    track: httpx.Client, api: httpx.Client
) -> None:
    answer = put(track, "c1", plan="a", **{"cio_subscription_preferences.topics.topic_99": True})
    assert_error(answer, 400)
    assert person(api, "c1") is None


def object_type(api: httpx.Client, name: str) -> str:
    answer = api.post("/v1/object-types", json={"name": name})
    assert answer.status_code == 201, answer.text
    type_id: str = answer.json()["id"]
    return type_id


def relationships_of(api: httpx.Client, ref: str) -> list[dict[str, Any]]:
    answer = api.get(f"/v1/customers/{ref}/relationships")
    assert answer.status_code == 200, answer.text
    items: list[dict[str, Any]] = answer.json()["items"]
    return items


def test_relationships_are_added_updated_and_deleted(
    track: httpx.Client, api: httpx.Client
) -> None:
    companies = object_type(api, "Companies")
    acme = {"object_type_id": companies, "object_id": "acme"}
    initech = {"object_type_id": companies, "object_id": "initech"}
    added = {
        "action": "add_relationships",
        "relationships": [
            {"identifiers": acme, "relationship_attributes": {"role": "admin", "seat": 3}},
            {"identifiers": initech},
        ],
    }
    assert_ok(put(track, "c1", cio_relationships=added))
    found = {item["object_id"]: item["attributes"] for item in relationships_of(api, "c1")}
    assert found == {"acme": {"role": "admin", "seat": 3}, "initech": {}}
    changed = {
        "relationships": [
            {"identifiers": acme, "relationship_attributes": {"role": None, "seat": ""}}
        ]
    }
    assert_ok(put(track, "c1", cio_relationships=changed))
    found = {item["object_id"]: item["attributes"] for item in relationships_of(api, "c1")}
    assert found["acme"] == {}
    deleted = {"action": "delete_relationships", "relationships": [{"identifiers": acme}]}
    assert_ok(put(track, "c1", cio_relationships=deleted))
    assert [item["object_id"] for item in relationships_of(api, "c1")] == ["initech"]


def test_bad_relationships_are_400(track: httpx.Client, api: httpx.Client) -> None:
    for bad in (
        {"action": "merge_relationships", "relationships": []},
        {"relationships": [{"identifiers": {"object_type_id": "1"}}]},
        {"relationships": [{"identifiers": {"object_type_id": "99", "object_id": "x"}}]},
        {"relationships": {"identifiers": {}}},
    ):
        assert_error(put(track, "c1", cio_relationships=bad), 400)
    companies = object_type(api, "Companies")
    acme = {"object_type_id": companies, "object_id": "acme"}
    unknown_type = {"identifiers": {**acme, "object_type_id": "99"}}
    too_long = {"tags": [0] * 101}  # over ATTRIUM_MAX_ARRAY_LENGTH
    named = [
        (
            {"relationships": [{"identifiers": acme}, unknown_type]},
            "cio_relationships.relationships.1.identifiers.object_type_id",
        ),
        (
            {"action": "delete_relationships", "relationships": [unknown_type]},
            "cio_relationships.relationships.0.identifiers.object_type_id",
        ),
        (
            {"relationships": [{"identifiers": acme, "relationship_attributes": too_long}]},
            "cio_relationships.relationships.0.relationship_attributes.tags",
        ),
    ]
    for bad, field in named:
        assert_error(put(track, "c1", cio_relationships=bad), 400, field)


def test_unknown_routes_are_404_in_the_same_shape(track: httpx.Client) -> None:
    assert_error(track.get("/customers/c1/nothing"), 404)


def test_merge_customers_keeps_the_primary_and_deletes_the_secondary(
    track: httpx.Client, api: httpx.Client
) -> None:
    assert_ok(put(track, "p1", email="p1@example.com", plan="gold", city="Porto"))
    assert_ok(put(track, "s1", anonymous_id="cookie-9", plan="basic", age=40))
    answer = track.post(
        "/merge_customers", json={"primary": {"id": "p1"}, "secondary": {"id": "s1"}}
    )
    assert_ok(answer)
    merged = person(api, "p1")
    assert merged is not None
    assert merged["attributes"] == {"plan": "gold", "city": "Porto", "age": 40}
    assert merged["anonymous_id"] == "cookie-9"
    assert person(api, "s1") is None
    repeated = {"primary": {"email": "P1@example.com"}, "secondary": {"id": "s1"}}
    assert_ok(track.post("/merge_customers", json=repeated))


def test_merge_customers_can_be_undone_natively(track: httpx.Client, api: httpx.Client) -> None:
    assert_ok(put(track, "p1", plan="gold"))
    assert_ok(put(track, "s1", email="s1@example.com", age=40))
    secondary = person(api, "s1")
    assert_ok(
        track.post("/merge_customers", json={"primary": {"id": "p1"}, "secondary": {"id": "s1"}})
    )
    [merge] = api.get("/v1/customers/p1/merges").json()["items"]
    assert merge["state"] == "open"
    answer = api.post(f"/v1/merges/{merge['merge_id']}/undo")
    assert answer.status_code == 200, answer.text
    assert person(api, "s1") == secondary
    assert (person(api, "p1") or {})["attributes"] == {"plan": "gold"}
    assert api.get("/v1/customers/p1/merges").json()["items"][0]["state"] == "undone"


def test_merge_customers_addresses_by_id_email_or_cio_id(
    track: httpx.Client, api: httpx.Client
) -> None:
    assert_ok(put(track, "p1", plan="gold"))
    assert_ok(put(track, "s1@example.com", age=3))
    profile_id = (person(api, "p1") or {})["profile_id"]
    body = {"primary": {"cio_id": profile_id}, "secondary": {"email": "S1@example.com"}}
    assert_ok(track.post("/merge_customers", json=body))
    assert (person(api, "p1") or {})["attributes"] == {"plan": "gold", "age": 3}


def test_merge_customers_errors(track: httpx.Client) -> None:
    assert_ok(put(track, "p1", plan="gold"))
    missing = {"primary": {"id": "nobody"}, "secondary": {"id": "p1"}}
    assert_error(track.post("/merge_customers", json=missing), 404, "primary")
    same = {"primary": {"id": "p1"}, "secondary": {"id": "p1"}}
    assert_error(track.post("/merge_customers", json=same), 400)
    for bad in (
        {"primary": {"id": "p1"}},
        {"primary": {"id": "p1", "email": "a@b.co"}, "secondary": {"id": "s"}},
        {"primary": {"phone": "+19148440001"}, "secondary": {"id": "s"}},
    ):
        assert_error(track.post("/merge_customers", json=bad), 400)
