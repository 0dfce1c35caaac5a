"""Authentication, scopes and key management, on both backends."""

import httpx
import pytest

from attrium.auth.scopes import Scope
from attrium.auth.store import api_keys
from tests.support.problems import assert_problem
from tests.support.workspaces import TestWorkspace, new_workspace


def test_missing_key_is_401_with_a_challenge(workspace: TestWorkspace) -> None:
    with httpx.Client(base_url=workspace.backend.base_url) as anonymous:
        answer = anonymous.get("/v1/customers/c1")
    assert_problem(answer, 401)
    assert answer.headers["www-authenticate"].startswith("Bearer")


def test_unknown_key_is_401(workspace: TestWorkspace) -> None:
    with workspace.client("atr_not-a-real-key") as client:
        answer = client.get("/v1/customers/c1")
    assert_problem(answer, 401)
    assert "www-authenticate" in answer.headers


def test_healthz_needs_no_key(workspace: TestWorkspace) -> None:
    with httpx.Client(base_url=workspace.backend.base_url) as anonymous:
        assert anonymous.get("/healthz").json() == {"status": "ok"}
        assert anonymous.get("/readyz").json() == {"status": "ready"}


@pytest.mark.parametrize(
    ("scopes", "method", "path", "body"),
    [
        (["attributes:write"], "GET", "/v1/customers/c1", None),
        (["attributes:read"], "PUT", "/v1/customers/c1", {}),
        (["attributes:read"], "PATCH", "/v1/customers/c1/attributes", {}),
        (["attributes:write"], "POST", "/v1/attributes", {"name": "a", "type": "string"}),
        (["attributes:read", "catalog:admin"], "GET", "/v1/keys", None),
        (["attributes:read"], "PATCH", "/v1/workspace/settings", {}),
    ],
)
def test_a_key_lacking_the_scope_is_403(
    workspace: TestWorkspace, scopes: list[str], method: str, path: str, body: object
) -> None:
    with workspace.client(workspace.key(scopes)) as client:
        answer = client.request(method, path, json=body)
    assert_problem(answer, 403)


def test_another_workspaces_customer_is_404(api: httpx.Client, workspace: TestWorkspace) -> None:
    api.put("/v1/customers/c1", json={"attributes": {"secret": "x"}})
    other = new_workspace(workspace.backend)
    with other.client() as other_api:
        assert_problem(other_api.get("/v1/customers/c1"), 404)
        assert_problem(other_api.patch("/v1/customers/c1/attributes", json={"a": 1}), 404)
        assert other_api.get("/v1/customers").json()["items"] == []
        assert other_api.get("/v1/attributes").json()["items"] == []


def test_keys_are_created_listed_and_revoked_through_the_api(
    api: httpx.Client, workspace: TestWorkspace
) -> None:
    created = api.post("/v1/keys", json={"scopes": ["attributes:read"], "label": "reader"})
    assert created.status_code == 201, created.text
    token = created.json()["token"]
    assert token.startswith("atr_")
    assert len(token) >= 4 + 43
    listed = api.get("/v1/keys").json()["items"]
    assert {key["label"] for key in listed} == {"test admin", "reader"}
    assert all("token" not in key for key in listed)
    with workspace.client(token) as reader:
        assert_problem(reader.get("/v1/customers/nobody"), 404)
        assert api.delete(f"/v1/keys/{created.json()['id']}").status_code == 204
        assert_problem(reader.get("/v1/customers/nobody"), 401)


def test_unknown_scopes_are_refused(api: httpx.Client) -> None:
    assert_problem(api.post("/v1/keys", json={"scopes": ["everything"]}), 422, "scopes")


def test_tokens_are_stored_only_as_hashes(workspace: TestWorkspace) -> None:
    async def stored_hashes() -> list[str]:
        async with workspace.backend.db.reader() as connection:
            rows = await connection.execute(
                api_keys.select().where(api_keys.c.workspace_id == workspace.workspace.workspace_id)
            )
            return [row.token_hash for row in rows]

    hashes = workspace.backend.run(stored_hashes())
    assert hashes
    assert all(workspace.token not in value for value in hashes)
    assert all(len(value) == 64 for value in hashes)


def test_key_admin_actions_are_audited(api: httpx.Client, workspace: TestWorkspace) -> None:
    from attrium.activity.store import activity

    created = api.post("/v1/keys", json={"label": "temp"}).json()
    api.delete(f"/v1/keys/{created['id']}")

    async def admin_types() -> list[str]:
        async with workspace.backend.db.reader() as connection:
            rows = await connection.execute(
                activity.select().where(activity.c.workspace_id == workspace.workspace.workspace_id)
            )
            return [row.type for row in rows]

    assert {"key_created", "key_revoked"} <= set(workspace.backend.run(admin_types()))


def test_a_key_may_grant_only_scopes_it_holds(workspace: TestWorkspace) -> None:
    admin = workspace.key(["workspace:admin", "attributes:read"])
    with workspace.client(admin) as limited_admin:
        wider = {"scopes": ["attributes:read", "catalog:admin", "attributes:write"]}
        refused = limited_admin.post("/v1/keys", json=wider)
        problem = assert_problem(refused, 403, "scopes")
        assert problem["detail"].endswith("this key lacks: attributes:write, catalog:admin")
        assert [error["rule"] for error in problem["errors"]] == ["not_held", "not_held"]
        narrower = limited_admin.post("/v1/keys", json={"scopes": ["attributes:read"]})
        assert narrower.status_code == 201, narrower.text
        assert narrower.json()["scopes"] == ["attributes:read"]
        listed = limited_admin.get("/v1/keys").json()["items"]
    assert len(listed) == 3  # the test admin, the limited admin and the reader: no other


def test_a_key_without_scopes_asked_gets_the_scopes_of_the_key_creating_it(
    workspace: TestWorkspace,
) -> None:
    admin = workspace.key(["workspace:admin", "attributes:write"])
    with workspace.client(admin) as limited_admin:
        created = limited_admin.post("/v1/keys", json={"label": "same as me"})
    assert created.status_code == 201, created.text
    assert created.json()["scopes"] == ["attributes:write", "workspace:admin"]


def test_a_key_holding_every_scope_may_grant_every_scope(api: httpx.Client) -> None:
    created = api.post("/v1/keys", json={"label": "everything"})
    assert created.status_code == 201, created.text
    assert set(created.json()["scopes"]) == {scope.value for scope in Scope}
