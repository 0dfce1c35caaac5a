"""Vendor paths at the root of the main port, and unknown routes in each vendor's shape.

Some official clients ignore the path of their base URL (customerio-ruby always sends
`/api/v1/customers/{id}`, invisible-collector-ruby posts to `/customers`), so those two
dialects also answer at their vendors' own paths; everything under a dialect's prefix
that is no route of it answers 404 as the vendor would, never problem+json.
"""

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from tests.support.workspaces import TestWorkspace

VendorShape = Callable[[dict[str, Any], int], bool]


def customerio_shape(body: dict[str, Any], status: int) -> bool:
    return set(body) == {"meta"} and isinstance(body["meta"]["error"], str)


def invisible_collector_shape(body: dict[str, Any], status: int) -> bool:
    return body.get("code") == status and isinstance(body.get("message"), str)


def attentive_shape(body: dict[str, Any], status: int) -> bool:
    return body.get("status") == status and isinstance(body.get("message"), str)


def optimove_shape(body: dict[str, Any], status: int) -> bool:
    return body.get("status") == status and body.get("error") == "Not Found"


def assert_vendor_404(answer: httpx.Response, shape: VendorShape) -> None:
    assert answer.status_code == 404, answer.text
    assert answer.headers["content-type"] == "application/json"
    assert shape(answer.json(), 404), answer.text


@pytest.fixture
def raw(workspace: TestWorkspace) -> Iterator[httpx.Client]:
    """A client of the main port's root, with no credentials of its own."""
    with httpx.Client(base_url=workspace.backend.base_url, timeout=30) as client:
        yield client


def basic(workspace: TestWorkspace) -> tuple[str, str]:
    return (workspace.workspace.workspace_id, workspace.token)


def bearer(workspace: TestWorkspace) -> dict[str, str]:
    return {"Authorization": f"Bearer {workspace.token}"}


def test_customerio_answers_at_its_own_path_at_the_root(
    raw: httpx.Client, workspace: TestWorkspace, api: httpx.Client
) -> None:
    auth = basic(workspace)
    answer = raw.put("/api/v1/customers/5", json={"plan": "gold"}, auth=auth)
    assert answer.status_code == 200, answer.text
    assert answer.json() == {}
    raw.put("/compat/customerio/api/v1/customers/5", json={"age": 3}, auth=auth)
    raw.put("/api/v1/customers/shop%2F42", json={"plan": "basic"}, auth=auth)
    assert api.get("/v1/customers/5").json()["attributes"] == {"plan": "gold", "age": 3}
    assert api.get("/v1/customers/shop%2F42").json()["attributes"] == {"plan": "basic"}
    assert raw.delete("/api/v1/customers/5", auth=auth).status_code == 200
    assert api.get("/v1/customers/5").status_code == 404


def test_customerio_errors_at_the_root_are_in_its_shape(
    raw: httpx.Client, workspace: TestWorkspace
) -> None:
    refused = raw.put("/api/v1/customers/5", json={"plan": "gold"})
    assert refused.status_code == 401
    assert customerio_shape(refused.json(), 401)
    assert_vendor_404(raw.get("/api/v1/nothing", auth=basic(workspace)), customerio_shape)


def test_invisible_collector_answers_at_its_own_paths_at_the_root(
    raw: httpx.Client, workspace: TestWorkspace
) -> None:
    headers = bearer(workspace)
    created = raw.post("/customers", json={"name": "Ada", "vatNumber": "PT1"}, headers=headers)
    assert created.status_code == 201, created.text
    gid = created.json()["gid"]
    merged = raw.post(f"/customers/{gid}/attributes", json={"tier": "gold"}, headers=headers)
    assert merged.json() == {"tier": "gold"}
    prefixed = f"/compat/invisible-collector/customers/{gid}/attributes"
    assert raw.get(prefixed, headers=headers).json() == {"tier": "gold"}
    assert raw.get(f"/customers/{gid}", headers=headers).json()["name"] == "Ada"
    missing = raw.get("/customers/nobody", headers=headers)
    assert missing.status_code == 404
    assert invisible_collector_shape(missing.json(), 404)


UNKNOWN_ROUTES = [
    ("GET", "/compat/customerio/whatever", customerio_shape),
    ("GET", "/compat/customerio/api/v1/customers/5/nothing", customerio_shape),
    ("GET", "/compat/customerio/", customerio_shape),
    ("GET", "/api/v1/customers/5/nothing", customerio_shape),
    ("GET", "/compat/attentive/whatever", attentive_shape),
    ("GET", "/compat/invisible-collector/whatever", invisible_collector_shape),
    ("GET", "/customers/5/nothing/here", invisible_collector_shape),
    ("GET", "/compat/optimove/whatever", optimove_shape),
    ("GET", "/compat/optimove/", optimove_shape),
]
# No vendor documents a 405: a known path called with another method is their 404.
WRONG_METHODS = [
    ("PATCH", "/compat/customerio/api/v1/customers/5", customerio_shape),
    ("PATCH", "/api/v1/customers/5", customerio_shape),
    ("DELETE", "/compat/attentive/v1/attributes/custom", attentive_shape),
    ("DELETE", "/compat/invisible-collector/customers", invisible_collector_shape),
    ("DELETE", "/customers/5/attributes", invisible_collector_shape),
    ("GET", "/compat/optimove/Customers/AddCustomerAttribute", optimove_shape),
    ("OPTIONS", "/api/v1/customers/5", customerio_shape),
    ("OPTIONS", "/compat/attentive/v2/user/attributes", attentive_shape),
    ("TRACE", "/customers", invisible_collector_shape),
]


@pytest.mark.parametrize(("method", "path", "shape"), UNKNOWN_ROUTES + WRONG_METHODS)
def test_unknown_routes_and_methods_are_the_vendors_404(
    raw: httpx.Client, method: str, path: str, shape: VendorShape
) -> None:
    assert_vendor_404(raw.request(method, path), shape)


def test_head_of_a_write_route_is_the_vendors_404_without_a_body(raw: httpx.Client) -> None:
    answer = raw.head("/compat/optimove/Customers/AddCustomerAttribute")
    assert answer.status_code == 404
    assert answer.headers["content-type"] == "application/json"
    assert answer.content == b""


def test_the_native_api_and_the_ui_keep_their_paths(raw: httpx.Client) -> None:
    native = raw.get("/v1/nothing")
    assert native.status_code == 404
    assert native.headers["content-type"] == "application/problem+json"
    assert raw.get("/api/v2/batch").headers["content-type"] == "application/problem+json"
    assert raw.get("/customersx").headers["content-type"] == "application/problem+json"
    assert raw.get("/ui/sign-in").status_code == 200
    assert raw.get("/healthz").json() == {"status": "ok"}
