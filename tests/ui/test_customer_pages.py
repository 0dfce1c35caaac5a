"""Finding customers by any identifier, over plain HTTP."""

import httpx
import pytest

from tests.support.workspaces import TestWorkspace
from tests.ui.forms import sign_in


@pytest.fixture
def ada(api: httpx.Client) -> str:
    created = api.put(
        "/v1/customers/ada-1",
        json={
            "email": "Ada@Example.com",
            "phone": "+14155550100",
            "anonymous_id": "anon-7",
            "custom_identifiers": {"crm": "C-9"},
        },
    )
    assert created.status_code == 201, created.text
    profile_id: str = created.json()["profile_id"]
    return profile_id


@pytest.mark.parametrize(
    "text",
    [
        "ada-1",
        "ada@example.com",
        "+14155550100",
        "anon-7",
        "custom:crm:C-9",
        "email:ADA@example.com",
    ],
)
def test_any_identifier_finds_the_customer(
    browser_client: httpx.Client, workspace: TestWorkspace, ada: str, text: str
) -> None:
    sign_in(browser_client, workspace.token)

    response = browser_client.get("/ui/customers", params={"q": text})

    assert response.status_code == 303
    assert response.headers["location"] == f"/ui/customers/{ada}"


def test_profile_ids_find_the_customer_and_unknowns_say_so(
    browser_client: httpx.Client, workspace: TestWorkspace, ada: str
) -> None:
    sign_in(browser_client, workspace.token)

    by_profile = browser_client.get("/ui/customers", params={"q": ada.lower()})
    unknown = browser_client.get("/ui/customers", params={"q": "nobody@example.com"})
    malformed = browser_client.get("/ui/customers", params={"q": "custom:crm"})

    assert by_profile.headers["location"] == f"/ui/customers/{ada}"
    assert unknown.status_code == 404
    assert "No customer has" in unknown.text
    assert malformed.status_code == 422
    assert "custom:NAME:VALUE" in malformed.text


def test_an_unknown_profile_page_is_a_404_page(
    browser_client: httpx.Client, workspace: TestWorkspace
) -> None:
    sign_in(browser_client, workspace.token)

    response = browser_client.get("/ui/customers/01ARZ3NDEKTSV4RRFFQ69G5FAV")

    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "Not found" in response.text


def test_unknown_ui_paths_are_html_404_pages(
    browser_client: httpx.Client, workspace: TestWorkspace
) -> None:
    sign_in(browser_client, workspace.token)

    response = browser_client.get("/ui/nowhere/at/all")

    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "/ui/nowhere/at/all" in response.text
    assert response.headers["x-content-type-options"] == "nosniff"
