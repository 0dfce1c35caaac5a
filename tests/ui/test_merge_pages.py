"""The customer page lists the merges into the customer, each open one with an undo
button (a CSRF-protected form), over plain HTTP."""

import httpx

from tests.support.workspaces import TestWorkspace
from tests.ui.forms import csrf_of, sign_in


def merged(api: httpx.Client) -> tuple[str, str, str]:
    """(primary profile id, secondary profile id, merge id)."""
    primary = api.put("/v1/customers/p", json={"attributes": {"plan": "pro"}}).json()
    secondary = api.put("/v1/customers/s", json={"attributes": {"city": "Porto"}}).json()
    body = {"primary": {"id": "p"}, "secondary": {"id": "s"}}
    merge_id = api.post("/v1/customers/merge", json=body).json()["merge_id"]
    return primary["profile_id"], secondary["profile_id"], merge_id


def test_the_undo_button_undoes_the_merge(
    browser_client: httpx.Client, workspace: TestWorkspace, api: httpx.Client
) -> None:
    primary, secondary, merge_id = merged(api)
    sign_in(browser_client, workspace.token)
    page = browser_client.get(f"/ui/customers/{primary}")
    assert page.status_code == 200
    assert f'data-merge="{merge_id}" data-state="open"' in page.text
    assert f'action="/ui/merges/{merge_id}/undo"' in page.text

    answer = browser_client.post(
        f"/ui/merges/{merge_id}/undo", data={"csrf_token": csrf_of(page.text)}
    )

    assert answer.status_code == 303
    assert answer.headers["location"] == f"/ui/customers/{primary}?undone={merge_id}"
    after = browser_client.get(answer.headers["location"])
    assert f'data-merge="{merge_id}" data-state="undone"' in after.text
    assert "Merge undone" in after.text
    assert "Undo merge" not in after.text
    assert api.get("/v1/customers/s").json()["profile_id"] == secondary
    assert api.get("/v1/customers/p").json()["attributes"] == {"plan": "pro"}


def test_undo_needs_the_csrf_token_and_the_write_scope(
    browser_client: httpx.Client, workspace: TestWorkspace, api: httpx.Client
) -> None:
    primary, _, merge_id = merged(api)
    sign_in(browser_client, workspace.key(["attributes:read"]))
    page = browser_client.get(f"/ui/customers/{primary}")
    assert f'data-merge="{merge_id}" data-state="open"' in page.text
    assert "Undo merge" not in page.text

    forged = browser_client.post(f"/ui/merges/{merge_id}/undo", data={"csrf_token": "forged"})
    refused = browser_client.post(
        f"/ui/merges/{merge_id}/undo", data={"csrf_token": csrf_of(page.text)}
    )

    assert forged.status_code == 403
    assert refused.status_code == 403
    assert api.get("/v1/customers/s").status_code == 404
