"""Suppress deletes and blocks a customer's identifiers; unsuppress lifts the block."""

import httpx

from tests.support.problems import assert_problem
from tests.support.workspaces import TestWorkspace, new_workspace


def suppressed_rows(workspace: TestWorkspace) -> list[dict[str, object]]:
    from attrium.identity.store import suppressions

    async def rows() -> list[dict[str, object]]:
        async with workspace.backend.db.reader() as connection:
            found = await connection.execute(
                suppressions.select().where(
                    suppressions.c.workspace_id == workspace.workspace.workspace_id
                )
            )
            return [dict(row._mapping) for row in found]

    return workspace.backend.run(rows())


def test_suppress_deletes_and_blocks_every_identifier(
    api: httpx.Client, workspace: TestWorkspace
) -> None:
    body = {"email": "ada@example.com", "phone": "+19148440001", "attributes": {"a": 1}}
    profile_id = api.put("/v1/customers/c1", json=body).json()["profile_id"]
    answer = api.post("/v1/customers/c1/suppress")
    assert answer.status_code == 200, answer.text
    assert answer.json()["profile_id"] == profile_id
    assert answer.json()["identifiers"] == ["email", "id", "phone"]
    assert_problem(api.get("/v1/customers/c1"), 404)
    for path, write in (
        ("c1", {}),
        ("c2", {"email": "ADA@example.com"}),
        ("c3", {"phone": "+19148440001"}),
        ("email:ada@example.com", {}),
    ):
        problem = assert_problem(api.put(f"/v1/customers/{path}", json=write), 409)
        assert problem["type"] == "/problems/identifier-suppressed"
        assert problem["errors"][0]["rule"] == "identifier.suppressed"
    assert_problem(api.get("/v1/customers/c2"), 404)


def test_only_keyed_hashes_are_stored(api: httpx.Client, workspace: TestWorkspace) -> None:
    api.put("/v1/customers/c1", json={"email": "ada@example.com"})
    api.post("/v1/customers/c1/suppress")
    api.put("/v1/customers/c2", json={"email": "ada@example.com"})
    rows = suppressed_rows(workspace)
    assert len(rows) == 2
    assert "ada@example.com" not in str(rows)
    assert all(len(str(row["identifier_hash"])) == 64 for row in rows)
    # The refused write's log entry does not carry the value either.
    from attrium.activity.store import activity

    async def logged() -> str:
        async with workspace.backend.db.reader() as connection:
            found = await connection.execute(
                activity.select().where(activity.c.workspace_id == workspace.workspace.workspace_id)
            )
            return str([dict(row._mapping) for row in found])

    assert "ada@example.com" not in workspace.backend.run(logged())


def test_unsuppress_by_any_identifier_lifts_the_whole_block(api: httpx.Client) -> None:
    api.put("/v1/customers/c1", json={"email": "ada@example.com", "phone": "+19148440001"})
    api.post("/v1/customers/c1/suppress")
    assert api.post("/v1/customers/email:ada@example.com/unsuppress").status_code == 204
    assert api.put("/v1/customers/c1", json={"phone": "+19148440001"}).status_code == 201
    assert_problem(api.post("/v1/customers/email:ada@example.com/unsuppress"), 404)


def test_suppressing_an_unknown_identifier_blocks_it(api: httpx.Client) -> None:
    answer = api.post("/v1/customers/email:ghost@example.com/suppress")
    assert answer.status_code == 200
    assert answer.json() == {
        "suppression_id": answer.json()["suppression_id"],
        "profile_id": None,
        "identifiers": ["email"],
    }
    assert_problem(api.put("/v1/customers/c1", json={"email": "ghost@example.com"}), 409, "email")
    assert_problem(api.post("/v1/customers/profile:01J00000000000000000000000/suppress"), 404)


def test_suppression_is_per_workspace(api: httpx.Client, workspace: TestWorkspace) -> None:
    api.post("/v1/customers/email:ada@example.com/suppress")
    with new_workspace(workspace.backend).client() as other:
        assert other.put("/v1/customers/c1", json={"email": "ada@example.com"}).status_code == 201


def test_suppress_needs_the_write_scope(workspace: TestWorkspace) -> None:
    with workspace.client(workspace.key(["attributes:read"])) as reader:
        assert_problem(reader.post("/v1/customers/c1/suppress"), 403)
