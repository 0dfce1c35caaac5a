"""Native routes refuse query parameters they do not declare; dialects and pages do not."""

from pathlib import Path

import httpx
import pytest

from attrium.app import create_app
from attrium.core.settings import Settings
from tests.support.problems import assert_problem
from tests.support.workspaces import TestWorkspace


def test_an_unknown_filter_is_refused_by_name(api: httpx.Client) -> None:
    problem = assert_problem(api.get("/v1/customers", params={"plan": "pro"}), 400, "query.plan")
    assert problem["errors"][0]["rule"] == "query.unknown"
    assert 'unknown query parameter "plan"' in problem["detail"]
    assert "limit" in problem["detail"]  # the parameters the route takes are named


def test_a_misspelt_parameter_gets_a_suggestion(api: httpx.Client) -> None:
    problem = assert_problem(api.get("/v1/customers", params={"limt": "5"}), 400, "query.limt")
    assert 'did you mean "limit"?' in problem["errors"][0]["message"]


def test_every_unknown_parameter_is_named(api: httpx.Client) -> None:
    answer = api.get("/v1/customers?plan=pro&tier=1&limit=5")
    problem = assert_problem(answer, 400)
    assert [error["field"] for error in problem["errors"]] == ["query.plan", "query.tier"]


def test_declared_parameters_still_work(api: httpx.Client) -> None:
    assert api.get("/v1/customers", params={"limit": "5"}).status_code == 200
    assert api.get("/v1/customers?").status_code == 200


def test_a_lean_route_refuses_a_query_parameter(api: httpx.Client) -> None:
    answer = api.put("/v1/customers/c1", params={"upsert": "1"}, json={"email": "a@b.co"})
    assert_problem(answer, 400, "query.upsert")
    assert api.get("/v1/customers/c1").status_code == 404  # nothing was written


def _native_lists(tmp_path: Path) -> list[str]:
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'unused.db'}"))
    return sorted(
        path
        for path, operations in app.openapi()["paths"].items()
        if path.startswith("/v1/") and "get" in operations and "{" not in path
    )


def test_every_native_list_route_refuses_an_unknown_parameter(
    api: httpx.Client, tmp_path: Path
) -> None:
    paths = _native_lists(tmp_path)
    assert "/v1/customers" in paths
    for path in paths:
        assert_problem(api.get(path, params={"bogus": "1"}), 400, "query.bogus")


@pytest.mark.parametrize("lean", [True, False], ids=["lean write", "routed write"])
def test_dialect_routes_take_extra_parameters(workspace: TestWorkspace, lean: bool) -> None:
    auth = (workspace.workspace.workspace_id, workspace.token)
    base_url = workspace.backend.base_url + "/compat/customerio/api/v1"
    with httpx.Client(base_url=base_url, auth=auth) as track:
        if lean:
            answer = track.put("/customers/c1", params={"sdk": "ios"}, json={"email": "a@b.co"})
        else:
            answer = track.post("/customers/c1/suppress", params={"sdk": "ios"})
        assert answer.status_code != 400, answer.text


def test_pages_take_extra_parameters(workspace: TestWorkspace) -> None:
    with httpx.Client(base_url=workspace.backend.base_url) as browser:
        answer = browser.get("/ui/sign-in", params={"utm_source": "mail"})
    assert answer.status_code == 200
