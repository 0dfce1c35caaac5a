"""Object types, objects with their own attribute namespace, relationships in batches."""

from typing import Any

import httpx
import pytest

from tests.support.problems import assert_problem
from tests.support.workspaces import TestWorkspace


@pytest.fixture
def companies(api: httpx.Client) -> str:
    answer = api.post("/v1/object-types", json={"name": "Companies"})
    assert answer.status_code == 201, answer.text
    type_id: str = answer.json()["id"]
    return type_id


def relate(api: httpx.Client, customer: str, body: dict[str, Any]) -> httpx.Response:
    return api.patch(f"/v1/customers/{customer}/relationships", json=body)


def test_object_types_are_numbered_from_one(api: httpx.Client, companies: str) -> None:
    assert companies == "1"
    assert api.post("/v1/object-types", json={"name": "Accounts"}).json()["id"] == "2"
    assert_problem(api.post("/v1/object-types", json={"name": "Companies"}), 409)
    names = [item["name"] for item in api.get("/v1/object-types").json()["items"]]
    assert names == ["Companies", "Accounts"]
    assert api.get("/v1/object-types/2").json()["name"] == "Accounts"
    assert_problem(api.get("/v1/object-types/0"), 422, "object_type_id")


def test_object_types_need_workspace_admin(workspace: TestWorkspace) -> None:
    with workspace.client(workspace.key(["attributes:write", "attributes:read"])) as client:
        assert_problem(client.post("/v1/object-types", json={"name": "Companies"}), 403)


def test_objects_have_attributes_in_their_own_namespace(api: httpx.Client, companies: str) -> None:
    api.put("/v1/customers/c1", json={"attributes": {"size": "large"}})
    created = api.put(f"/v1/objects/{companies}/acme", json={"attributes": {"size": 50}})
    assert created.status_code == 201, created.text
    assert created.json()["attributes"] == {"size": 50}
    updated = api.put(f"/v1/objects/{companies}/acme", json={"attributes": {"size": "60"}})
    assert updated.status_code == 200
    assert updated.json()["attributes"] == {"size": 60}
    problem = assert_problem(
        api.put(f"/v1/objects/{companies}/acme", json={"attributes": {"size": "big"}}),
        422,
        "attributes.size",
    )
    assert "number" in problem["detail"]
    # the customer catalog is untouched by object attributes
    assert [item["name"] for item in api.get("/v1/attributes").json()["items"]] == ["size"]
    assert api.get("/v1/attributes/size").json()["type"] == "string"


def test_objects_list_get_and_delete(api: httpx.Client, companies: str) -> None:
    for name in ("a", "b", "c"):
        api.put(f"/v1/objects/{companies}/{name}", json={})
    page = api.get(f"/v1/objects/{companies}", params={"limit": 2}).json()
    assert [item["object_id"] for item in page["items"]] == ["a", "b"]
    rest = api.get(f"/v1/objects/{companies}", params={"cursor": page["next_cursor"]}).json()
    assert [item["object_id"] for item in rest["items"]] == ["c"]
    assert api.delete(f"/v1/objects/{companies}/b").status_code == 204
    assert_problem(api.get(f"/v1/objects/{companies}/b"), 404)
    assert_problem(api.put("/v1/objects/7/x", json={}), 422, "object_type_id")


def test_relationships_add_update_and_delete_in_batches(api: httpx.Client, companies: str) -> None:
    api.put("/v1/customers/c1", json={})
    added = relate(
        api,
        "c1",
        {
            "add": [
                {"object_type_id": companies, "object_id": "acme", "attributes": {"role": "admin"}},
                {"object_type_id": companies, "object_id": "globex"},
            ]
        },
    )
    assert added.status_code == 200, added.text
    assert [(item["object_id"], item["attributes"]) for item in added.json()["items"]] == [
        ("acme", {"role": "admin"}),
        ("globex", {}),
    ]
    # objects are created on first use
    assert api.get(f"/v1/objects/{companies}/globex").json()["attributes"] == {}
    changed = relate(
        api,
        "c1",
        {
            "add": [
                {"object_type_id": companies, "object_id": "acme", "attributes": {"role": ""}},
                {"object_type_id": companies, "object_id": "globex", "attributes": {"seats": 3}},
            ],
            "delete": [{"object_type_id": companies, "object_id": "nowhere"}],
        },
    ).json()["items"]
    assert [(item["object_id"], item["attributes"]) for item in changed] == [
        ("acme", {}),
        ("globex", {"seats": 3}),
    ]
    remaining = relate(
        api, "c1", {"delete": [{"object_type_id": companies, "object_id": "acme"}]}
    ).json()["items"]
    assert [item["object_id"] for item in remaining] == ["globex"]
    related = api.get(f"/v1/objects/{companies}/globex/relationships").json()["items"]
    assert [item["profile_id"] for item in related] == [
        api.get("/v1/customers/c1").json()["profile_id"]
    ]
    kinds = [e["type"] for e in api.get("/v1/customers/c1/activity").json()["items"]][:4]
    assert kinds == [
        "relationship_removed",
        "relationship_changed",
        "relationship_changed",
        "relationship_added",
    ]


def test_a_bad_relationship_refuses_the_whole_batch(api: httpx.Client, companies: str) -> None:
    api.put("/v1/customers/c1", json={})
    answer = relate(
        api,
        "c1",
        {
            "add": [
                {"object_type_id": companies, "object_id": "acme"},
                {"object_type_id": companies, "object_id": "x", "attributes": {"tags": [0] * 101}},
            ]
        },
    )
    assert_problem(answer, 422, "add.1.attributes.tags")
    assert api.get("/v1/customers/c1/relationships").json()["items"] == []
    assert_problem(
        relate(api, "c1", {"add": [{"object_type_id": "9", "object_id": "a"}]}),
        422,
        "add.0.object_type_id",
    )
    assert_problem(
        relate(api, "ghost", {"add": [{"object_type_id": companies, "object_id": "a"}]}), 404
    )


def test_repeating_a_relationship_changes_nothing(api: httpx.Client, companies: str) -> None:
    api.put("/v1/customers/c1", json={})
    body = {"add": [{"object_type_id": companies, "object_id": "a", "attributes": {"r": 1}}]}
    first = relate(api, "c1", body).json()
    before = api.get("/v1/customers/c1/activity").json()["items"]
    assert relate(api, "c1", body).json() == first
    assert api.get("/v1/customers/c1/activity").json()["items"] == before


def test_deleting_a_customer_or_object_deletes_relationships(
    api: httpx.Client, companies: str
) -> None:
    for customer in ("c1", "c2"):
        api.put(f"/v1/customers/{customer}", json={})
        relate(api, customer, {"add": [{"object_type_id": companies, "object_id": "acme"}]})
    api.delete("/v1/customers/c1")
    assert len(api.get(f"/v1/objects/{companies}/acme/relationships").json()["items"]) == 1
    api.delete(f"/v1/objects/{companies}/acme")
    assert api.get("/v1/customers/c2/relationships").json()["items"] == []


def test_relationship_condition_for_segments(
    api: httpx.Client, workspace: TestWorkspace, companies: str
) -> None:
    from sqlalchemy import select

    from attrium.customers.store import customers
    from attrium.objects.conditions import has_relationship

    for customer in ("c1", "c2"):
        api.put(f"/v1/customers/{customer}", json={})
    relate(api, "c1", {"add": [{"object_type_id": companies, "object_id": "acme"}]})

    async def related(object_id: str | None) -> list[str]:
        query = (
            select(customers.c.external_id)
            .where(customers.c.workspace_id == workspace.workspace.workspace_id)
            .where(has_relationship(int(companies), object_id))
        )
        async with workspace.backend.db.reader() as connection:
            return [row[0] for row in await connection.execute(query)]

    assert workspace.backend.run(related(None)) == ["c1"]
    assert workspace.backend.run(related("acme")) == ["c1"]
    assert workspace.backend.run(related("globex")) == []
