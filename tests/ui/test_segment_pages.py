"""The segment builder over plain HTTP: the form becomes the API's predicate."""

import httpx
import pytest

from tests.support.workspaces import TestWorkspace
from tests.ui.forms import page_csrf, sign_in


@pytest.fixture
def people(api: httpx.Client) -> None:
    api.post(
        "/v1/attributes", json={"name": "plan", "type": "enum", "enum_values": ["free", "pro"]}
    )
    for number, (plan, age) in enumerate([("pro", 20), ("pro", 40), ("free", 50), (None, 60)]):
        attributes = {"age": age} | ({"plan": plan} if plan else {})
        body = {"email": f"p{number}@example.com", "attributes": attributes}
        assert api.put(f"/v1/customers/p{number}", json=body).status_code == 201


def builder_form(csrf: str, match: str, *rows: tuple[str, str, str]) -> dict[str, str | list[str]]:
    return {
        "csrf_token": csrf,
        "match": match,
        "subject": [row[0] for row in rows],
        "op": [row[1] for row in rows],
        "value": [row[2] for row in rows],
    }


def test_the_live_count_matches_the_api_preview(
    browser_client: httpx.Client, workspace: TestWorkspace, api: httpx.Client, people: None
) -> None:
    sign_in(browser_client, workspace.token)
    form = builder_form(
        page_csrf(browser_client, "/ui/segments"),
        "all",
        ("attribute:plan", "in", "pro, free"),
        ("attribute:age", "gte", "30"),
    )

    response = browser_client.post("/ui/segments/builder", data=form)

    predicate = {
        "all": [
            {"attribute": "plan", "op": "in", "value": ["pro", "free"]},
            {"attribute": "age", "op": "gte", "value": "30"},
        ]
    }
    expected = api.post("/v1/segments/preview", json={"predicate": predicate}).json()["count"]
    assert expected == 2
    assert f'data-cell="live-count">{expected}<' in response.text


def test_broken_conditions_are_shown_on_their_row(
    browser_client: httpx.Client, workspace: TestWorkspace, people: None
) -> None:
    sign_in(browser_client, workspace.token)
    form = builder_form(
        page_csrf(browser_client, "/ui/segments"),
        "any",
        ("identifier:email", "exists", ""),
        ("attribute:age", "gt", "old"),
    )

    response = browser_client.post(
        "/ui/segments/builder",
        data=form,
        headers={"HX-Request": "true"},
    )

    assert response.status_code == 200
    assert response.text.startswith('<form id="builder"')
    assert 'id="row-errors-1" class="row-errors"><p class="field-error">' in response.text
    assert 'id="row-errors-0" class="row-errors"></div>' in response.text


def test_a_reader_cannot_save(
    browser_client: httpx.Client, workspace: TestWorkspace, api: httpx.Client, people: None
) -> None:
    sign_in(browser_client, workspace.key(["attributes:read"]))
    form = builder_form(page_csrf(browser_client, "/ui/segments"), "all") | {"name": "x"}

    response = browser_client.post("/ui/segments", data=form)

    assert response.status_code == 403
    assert api.get("/v1/segments").json()["items"] == []
