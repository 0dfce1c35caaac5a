"""The catalog page over plain HTTP: the define form's rules and who may use it."""

import httpx

from tests.support.workspaces import TestWorkspace
from tests.ui.forms import page_csrf, sign_in


def define(client: httpx.Client, **fields: str) -> httpx.Response:
    return client.post("/ui/catalog", data={"csrf_token": page_csrf(client), **fields})


def test_a_catalog_admin_defines_an_attribute_through_the_form(
    browser_client: httpx.Client, workspace: TestWorkspace, api: httpx.Client
) -> None:
    sign_in(browser_client, workspace.token)

    response = define(
        browser_client, name="score", type="number", default="7", description="loyalty"
    )

    assert response.status_code == 303
    assert response.headers["location"] == "/ui/catalog?defined=score"
    attribute = api.get("/v1/attributes/score").json()
    assert attribute["type"] == "number"
    assert attribute["default"] == 7
    assert attribute["source"] == "api"
    page = browser_client.get("/ui/catalog?defined=score").text
    assert 'data-attribute="score"' in page
    assert "Attribute &#39;score&#39; is defined." in page


def test_form_errors_name_the_field_and_keep_the_input(
    browser_client: httpx.Client, workspace: TestWorkspace
) -> None:
    sign_in(browser_client, workspace.token)

    bad_default = define(browser_client, name="tier", type="enum", enum_values="a,b", default="c")
    bad_type = define(browser_client, name="tier", type="colour")

    assert bad_default.status_code == 422
    assert 'id="error-default"' in bad_default.text
    assert 'value="tier"' in bad_default.text
    assert 'aria-invalid="true"' in bad_default.text
    assert bad_type.status_code == 422
    assert 'id="error-type"' in bad_type.text


def test_defining_twice_is_a_conflict_shown_on_the_page(
    browser_client: httpx.Client, workspace: TestWorkspace
) -> None:
    sign_in(browser_client, workspace.token)
    define(browser_client, name="tier", type="string")

    again = define(browser_client, name="tier", type="string")

    assert again.status_code == 409
    assert "already defined" in again.text


def test_only_catalog_admins_see_and_use_the_form(
    browser_client: httpx.Client, workspace: TestWorkspace, api: httpx.Client
) -> None:
    sign_in(browser_client, workspace.key(["attributes:read"]))

    page = browser_client.get("/ui/catalog").text
    refused = define(browser_client, name="tier", type="string")

    assert "Define an attribute" not in page
    assert refused.status_code == 403
    assert "catalog:admin" in refused.text
    assert api.get("/v1/attributes").json()["items"] == []


def test_catalog_shows_the_api_freshness_and_source(
    browser_client: httpx.Client, workspace: TestWorkspace, api: httpx.Client
) -> None:
    api.put("/v1/customers/ada", json={"attributes": {"plan": "pro"}})
    sign_in(browser_client, workspace.token)
    listed = api.get("/v1/attributes/plan").json()

    page = browser_client.get("/ui/catalog").text

    assert listed["freshness"] == "red"
    assert 'data-freshness="red"' in page
    assert "updated in real time through the API" in page


def test_catalog_shows_the_counts_the_writes_keep(
    browser_client: httpx.Client, workspace: TestWorkspace, api: httpx.Client
) -> None:
    for customer in ("ada", "bob", "cy"):
        api.put(f"/v1/customers/{customer}", json={"attributes": {"plan": "pro"}})
    api.delete("/v1/customers/cy")
    sign_in(browser_client, workspace.token)

    page = browser_client.get("/ui/catalog").text

    row = page[page.index('data-attribute="plan"') :]
    assert '<td data-label="Customers" class="number" data-cell="customer-count">2</td>' in row
    assert f"by key <code>{workspace.actor.key_id}</code> via api" in row
