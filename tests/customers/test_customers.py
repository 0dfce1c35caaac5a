"""Customers and identifiers through the native API, on both backends."""

import asyncio

import httpx
import pytest

from tests.support.problems import assert_problem
from tests.support.workspaces import TestWorkspace


def test_put_creates_then_updates(api: httpx.Client) -> None:
    created = api.put("/v1/customers/c1", json={"email": "ada@example.com"})
    assert created.status_code == 201, created.text
    body = created.json()
    assert set(body) == {
        "id",
        "profile_id",
        "email",
        "phone",
        "anonymous_id",
        "custom_identifiers",
        "attributes",
        "created_at",
        "updated_at",
    }
    assert body["id"] == "c1"
    assert created.headers["location"] == f"/v1/customers/profile:{body['profile_id']}"
    updated = api.put("/v1/customers/c1", json={"phone": "+19148440001"})
    assert updated.status_code == 200
    assert updated.json()["phone"] == "+19148440001"
    assert updated.json()["email"] == "ada@example.com"


def test_get_unknown_customer_is_404(api: httpx.Client) -> None:
    assert_problem(api.get("/v1/customers/nobody"), 404)


def test_email_is_trimmed_lowercased_and_validated(api: httpx.Client) -> None:
    body = api.put("/v1/customers/c1", json={"email": "  Ada@Example.COM "}).json()
    assert body["email"] == "ada@example.com"
    assert_problem(api.put("/v1/customers/c2", json={"email": "not-an-email"}), 422, "email")


@pytest.mark.parametrize("phone", ["+19148440001", "+442071838750", "+551155256325"])
def test_e164_phones_are_accepted(api: httpx.Client, phone: str) -> None:
    assert api.put("/v1/customers/c1", json={"phone": phone}).json()["phone"] == phone


@pytest.mark.parametrize("phone", ["19148440001", "+1---914---844---0001", "1 () 914 844 0001"])
def test_other_phones_are_refused(api: httpx.Client, phone: str) -> None:
    assert_problem(api.put("/v1/customers/c1", json={"phone": phone}), 422, "phone")


def test_identifiers_are_unique_within_a_workspace(api: httpx.Client) -> None:
    api.put("/v1/customers/c1", json={"email": "ada@example.com", "phone": "+19148440001"})
    api.put("/v1/customers/c2", json={})
    problem = assert_problem(
        api.put("/v1/customers/c2", json={"email": "ADA@example.com"}), 409, "email"
    )
    assert problem["conflicts"][0]["field"] == "email"
    assert api.get("/v1/customers/c2").json()["email"] is None
    # A new id with a taken email: the email's owner keeps its own id.
    problem = assert_problem(
        api.put("/v1/customers/c3", json={"email": "ada@example.com"}), 409, "email"
    )
    assert api.get("/v1/customers/email:ada@example.com").json()["id"] == "c1"
    assert_problem(api.get("/v1/customers/c3"), 404)


def test_the_same_identifier_in_two_workspaces_is_fine(
    api: httpx.Client, workspace: TestWorkspace
) -> None:
    from tests.support.workspaces import new_workspace

    other = new_workspace(workspace.backend)
    api.put("/v1/customers/c1", json={"email": "ada@example.com"})
    with other.client() as other_api:
        assert (
            other_api.put("/v1/customers/c1", json={"email": "ada@example.com"}).status_code == 201
        )


def test_find_by_each_identifier(api: httpx.Client) -> None:
    api.put(
        "/v1/customers/c1",
        json={
            "email": "ada@example.com",
            "phone": "+19148440001",
            "anonymous_id": "cookie-1",
            "custom_identifiers": {"shopify": "s-1"},
        },
    )
    for query in (
        {"email": "Ada@Example.com"},
        {"phone": "+19148440001"},
        {"anonymous_id": "cookie-1"},
        {"identifier": "shopify:s-1"},
    ):
        found = api.get("/v1/customers", params=query).json()
        assert [item["id"] for item in found["items"]] == ["c1"], query
    assert api.get("/v1/customers", params={"email": "x@example.com"}).json()["items"] == []
    assert_problem(api.get("/v1/customers", params={"email": "a@b.co", "phone": "+1"}), 422)


def test_address_a_customer_by_any_identifier(api: httpx.Client) -> None:
    profile_id = api.put("/v1/customers/c1", json={"email": "ada@example.com"}).json()["profile_id"]
    for ref in ("c1", "id:c1", "email:ADA@example.com", f"profile:{profile_id}"):
        assert api.get(f"/v1/customers/{ref}").json()["profile_id"] == profile_id, ref


def test_list_pages_with_an_opaque_cursor(api: httpx.Client) -> None:
    for number in range(5):
        api.put(f"/v1/customers/c{number}", json={})
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        page = api.get("/v1/customers", params=params).json()
        seen.extend(item["id"] for item in page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == [f"c{number}" for number in range(5)]
    assert_problem(api.get("/v1/customers", params={"cursor": "garbage!"}), 422, "cursor")


def test_64_concurrent_patches_of_distinct_keys_all_land(
    api: httpx.Client, workspace: TestWorkspace
) -> None:
    api.patch("/v1/workspace/settings", json={"max_attributes": 200})
    api.put("/v1/customers/c1", json={})

    async def write_all() -> list[int]:
        headers = {"Authorization": f"Bearer {workspace.token}"}
        async with httpx.AsyncClient(
            base_url=workspace.backend.base_url, headers=headers, timeout=60
        ) as client:
            answers = await asyncio.gather(
                *(
                    client.patch("/v1/customers/c1/attributes", json={f"k{number}": number})
                    for number in range(64)
                )
            )
        return [answer.status_code for answer in answers]

    assert asyncio.run(write_all()) == [200] * 64
    attributes = api.get("/v1/customers/c1").json()["attributes"]
    assert attributes == {f"k{number}": number for number in range(64)}
