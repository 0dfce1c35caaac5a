"""Object and array values on the web UI's pages, over plain HTTP."""

import httpx

from tests.support.workspaces import TestWorkspace
from tests.ui.forms import page_csrf, sign_in


def test_nested_values_render_readably_with_their_before_and_after(
    browser_client: httpx.Client, workspace: TestWorkspace, api: httpx.Client
) -> None:
    created = api.put(
        "/v1/customers/ada",
        json={"attributes": {"address": {"city": "Lisbon", "zip": "1000-001"}, "tags": ["vip"]}},
    )
    profile_id = created.json()["profile_id"]
    api.patch("/v1/customers/ada/attributes", json={"address": {"city": "Porto"}})
    sign_in(browser_client, workspace.token)

    page = browser_client.get(f"/ui/customers/{profile_id}").text

    assert '<pre class="nested"><code>{\n  &#34;city&#34;: &#34;Porto&#34;\n}</code></pre>' in page
    assert '<pre class="nested"><code>[\n  &#34;vip&#34;\n]</code></pre>' in page
    # the activity shows the object before and after, whole
    assert "&#34;zip&#34;: &#34;1000-001&#34;" in page
    assert "{&#39;city" not in page  # never Python's repr


def test_the_catalog_form_declares_object_attributes_with_a_json_default(
    browser_client: httpx.Client, workspace: TestWorkspace, api: httpx.Client
) -> None:
    sign_in(browser_client, workspace.token)

    def define(**fields: str) -> httpx.Response:
        token = page_csrf(browser_client)
        return browser_client.post("/ui/catalog", data={"csrf_token": token, **fields})

    assert define(name="address", type="object", default='{"city": "?"}').status_code == 303
    assert api.get("/v1/attributes/address").json()["default"] == {"city": "?"}
    refused = define(name="tags", type="array", default="[not json")
    assert refused.status_code == 422
    assert "JSON text" in refused.text
