"""The Invisible Collector dialect, driven as the seed's code samples and the SDKs do it."""

from collections.abc import Iterator

import httpx
import pytest

from tests.support.workspaces import TestWorkspace

PREFIX = "/compat/invisible-collector"


def ic_client(workspace: TestWorkspace, token: str | None = None) -> httpx.Client:
    """A client as the SDKs build one: base URL, bearer company key, JSON."""
    headers = {
        "Authorization": f"Bearer {token or workspace.token}",
        "Accept": "application/json",
    }
    return httpx.Client(base_url=workspace.backend.base_url + PREFIX, headers=headers, timeout=30)


@pytest.fixture
def ic(workspace: TestWorkspace) -> Iterator[httpx.Client]:
    with ic_client(workspace) as client:
        yield client


def register(ic: httpx.Client, **fields: str) -> dict[str, str]:
    body = {"name": "Ada Lda", "vatNumber": "PT500000000", **fields}
    response = ic.post("/v1/customers", json=body)
    assert response.status_code == 201, response.text
    created: dict[str, str] = response.json()
    return created


def assert_ic_error(response: httpx.Response, status: int) -> dict[str, object]:
    """The vendor's error body: the status again under `code`, and a message."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body: dict[str, object] = response.json()
    assert body["code"] == status
    assert isinstance(body["message"], str)
    assert body["message"]
    return body


# POST /customers/:id/attributes


def test_seed_example_merges_and_answers_every_attribute(ic: httpx.Client) -> None:
    gid = register(ic)["gid"]
    ic.post(f"/customers/{gid}/attributes", json={"existing_name_1": "old_attribute_1"})
    response = ic.post(
        f"/customers/{gid}/attributes",
        json={"new_name_1": "attribute_1", "new_name_2": "attribute_2"},
    )
    assert response.status_code == 200, response.text
    assert response.json() == {
        "existing_name_1": "old_attribute_1",
        "new_name_1": "attribute_1",
        "new_name_2": "attribute_2",
    }


def test_existing_attributes_are_updated(ic: httpx.Client) -> None:
    gid = register(ic)["gid"]
    ic.post(f"/customers/{gid}/attributes", json={"attribute-1": "value-1"})
    updated = ic.post(f"/customers/{gid}/attributes", json={"attribute-1": "value-2"})
    assert updated.json() == {"attribute-1": "value-2"}
    assert ic.get(f"/customers/{gid}/attributes").json() == {"attribute-1": "value-2"}


def test_ruby_sample_request_shape(workspace: TestWorkspace, ic: httpx.Client) -> None:
    gid = register(ic)["gid"]
    response = httpx.post(
        f"{workspace.backend.base_url}{PREFIX}/customers/{gid}/attributes",
        content=b'{"go-attr-1":"go-val-1","go-attr-3":"go-val-2"}',
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {workspace.token}"},
    )
    assert response.status_code == 200, response.text
    assert response.json() == {"go-attr-1": "go-val-1", "go-attr-3": "go-val-2"}


def test_id_is_the_gid_or_the_external_id(ic: httpx.Client) -> None:
    gid = register(ic, externalId="erp-42")["gid"]
    ic.post("/customers/erp-42/attributes", json={"tier": "gold"})
    assert ic.get(f"/customers/{gid}/attributes").json() == {"tier": "gold"}
    assert ic.get(f"/customers/{gid.lower()}/attributes").json() == {"tier": "gold"}
    assert ic.get("/v1/customers/erp-42/attributes").json() == {"tier": "gold"}


def test_the_request_is_idempotent(workspace: TestWorkspace, ic: httpx.Client) -> None:
    gid = register(ic)["gid"]
    first = ic.post(f"/customers/{gid}/attributes", json={"plan": "pro"})
    with workspace.client() as api:
        before = api.get(f"/v1/customers/profile:{gid}/activity").json()["items"]
        second = ic.post(f"/customers/{gid}/attributes", json={"plan": "pro"})
        after = api.get(f"/v1/customers/profile:{gid}/activity").json()["items"]
    assert second.status_code == first.status_code == 200
    assert second.json() == first.json()
    assert after == before


@pytest.mark.parametrize(
    "body", [{"": "value"}, {"key": ""}, {"ok": "fine", "": ""}], ids=["key", "value", "both"]
)
def test_empty_keys_or_values_fail_whole(ic: httpx.Client, body: dict[str, str]) -> None:
    gid = register(ic)["gid"]
    assert_ic_error(ic.post(f"/customers/{gid}/attributes", json=body), 422)
    assert ic.get(f"/customers/{gid}/attributes").json() == {}


@pytest.mark.parametrize(
    "content",
    [b'["a", "b"]', b'"text"', b"42", b"{not json", b'{"n": 5}', b'{"n": {"a": "b"}}'],
    ids=["array", "string", "number", "malformed", "number-value", "object-value"],
)
def test_a_body_that_is_not_a_string_map_is_422(ic: httpx.Client, content: bytes) -> None:
    gid = register(ic)["gid"]
    response = ic.post(
        f"/customers/{gid}/attributes",
        content=content,
        headers={"Content-Type": "application/json"},
    )
    assert_ic_error(response, 422)


def test_standard_fields_are_not_custom_attributes(ic: httpx.Client) -> None:
    gid = register(ic, city="Lisboa")["gid"]
    body = assert_ic_error(ic.post(f"/customers/{gid}/attributes", json={"city": "Porto"}), 422)
    assert "city" in str(body["message"])
    assert ic.get(f"/customers/{gid}/attributes").json() == {}


def test_unknown_customer_is_404(ic: httpx.Client) -> None:
    body = assert_ic_error(ic.post("/customers/nobody/attributes", json={"a": "b"}), 404)
    assert body["message"] == "Customer not found"
    assert_ic_error(ic.get("/customers/01ARZ3NDEKTSV4RRFFQ69G5FAV/attributes"), 404)


@pytest.mark.parametrize("authorization", [None, "Bearer wrong", "Basic abc", "Bearer"])
def test_bad_credentials_are_401(workspace: TestWorkspace, authorization: str | None) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    url = f"{workspace.backend.base_url}{PREFIX}/customers/x/attributes"
    response = httpx.post(url, json={"a": "b"}, headers=headers)
    body = assert_ic_error(response, 401)
    assert body["message"] == "Credentials are required to access this resource"


def test_a_read_only_key_cannot_write(workspace: TestWorkspace, ic: httpx.Client) -> None:
    gid = register(ic)["gid"]
    with ic_client(workspace, workspace.key(["attributes:read"])) as reader:
        assert reader.get(f"/customers/{gid}/attributes").status_code == 200
        assert_ic_error(reader.post(f"/customers/{gid}/attributes", json={"a": "b"}), 403)


def test_typed_values_are_answered_as_strings(workspace: TestWorkspace, ic: httpx.Client) -> None:
    gid = register(ic)["gid"]
    with workspace.client() as api:
        api.patch(f"/v1/customers/profile:{gid}/attributes", json={"age": 36, "vip": True})
    assert ic.get(f"/customers/{gid}/attributes").json() == {"age": "36", "vip": "true"}
    assert ic.post(f"/customers/{gid}/attributes", json={"age": "37"}).json()["age"] == "37"
    assert_ic_error(ic.post(f"/customers/{gid}/attributes", json={"age": "old"}), 422)


def test_writes_are_recorded_as_the_dialect(workspace: TestWorkspace, ic: httpx.Client) -> None:
    gid = register(ic)["gid"]
    ic.post(f"/customers/{gid}/attributes", json={"plan": "pro"})
    with workspace.client() as api:
        items = api.get(f"/v1/customers/profile:{gid}/activity").json()["items"]
    changed = [item for item in items if "plan" in (item["changes"] or {}).get("attributes", {})]
    assert changed
    assert changed[0]["source"] == "invisible-collector"


# Customer records


def test_register_and_read_a_customer_with_the_sdk_fields(ic: httpx.Client) -> None:
    created = register(
        ic,
        externalId="erp-1",
        address="Rua Augusta 1",
        zipCode="1100-048",
        city="Lisboa",
        country="PT",
        email="Ada@Example.com",
        phone="+351210000000",
        mobile="+351910000000",
    )
    assert created == {
        "gid": created["gid"],
        "externalId": "erp-1",
        "name": "Ada Lda",
        "vatNumber": "PT500000000",
        "address": "Rua Augusta 1",
        "zipCode": "1100-048",
        "city": "Lisboa",
        "country": "PT",
        "email": "ada@example.com",
        "phone": "+351210000000",
        "mobile": "+351910000000",
    }
    assert ic.get(f"/v1/customers/{created['gid']}").json() == created
    assert ic.get("/customers/erp-1").json() == created


def test_registered_customers_are_native_customers(
    workspace: TestWorkspace, ic: httpx.Client
) -> None:
    gid = register(ic, externalId="erp-7", email="ada@example.com")["gid"]
    with workspace.client() as api:
        native = api.get("/v1/customers/email:ada@example.com").json()
    assert native["profile_id"] == gid
    assert native["id"] == "erp-7"
    assert native["custom_identifiers"] == {"vatNumber": "PT500000000"}
    assert native["attributes"] == {"name": "Ada Lda"}


@pytest.mark.parametrize("clash", ["vatNumber", "externalId"])
def test_a_taken_vat_number_or_external_id_is_409_with_the_gid(
    ic: httpx.Client, clash: str
) -> None:
    existing = register(ic, externalId="erp-1")["gid"]
    body = {"name": "Other", "vatNumber": "PT599999999", "externalId": "erp-2"}
    body[clash] = {"vatNumber": "PT500000000", "externalId": "erp-1"}[clash]
    error = assert_ic_error(ic.post("/customers", json=body), 409)
    assert error["message"] == "Customer already registered"
    assert error["gid"] == existing


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"vatNumber": "PT1"}, "name"),
        ({"name": "Ada"}, "vatNumber"),
        ({"name": "Ada", "vatNumber": "PT1", "country": "XX"}, "country"),
        ({"name": "Ada", "vatNumber": "PT1", "email": "not-an-email"}, "email"),
        ({"name": "Ada", "vatNumber": "PT1", "colour": "red"}, "colour"),
        ({"name": 5, "vatNumber": "PT1"}, "name"),
    ],
)
def test_invalid_customers_are_422(ic: httpx.Client, body: dict[str, object], field: str) -> None:
    error = assert_ic_error(ic.post("/customers", json=body), 422)
    assert field in str(error["message"])


def test_update_changes_the_named_fields(ic: httpx.Client) -> None:
    gid = register(ic, city="Lisboa", externalId="erp-1")["gid"]
    updated = ic.put("/customers/erp-1", json={"city": "Porto", "country": "pt"})
    assert updated.status_code == 200, updated.text
    assert updated.json()["city"] == "Porto"
    assert updated.json()["country"] == "PT"
    assert updated.json()["name"] == "Ada Lda"
    cleared = ic.put(f"/customers/{gid}", json={"city": None}).json()
    assert cleared["city"] is None
    assert_ic_error(ic.put("/customers/nobody", json={"city": "Faro"}), 404)


def test_get_unknown_customer_is_404(ic: httpx.Client) -> None:
    assert_ic_error(ic.get("/v1/customers/nobody"), 404)


def test_update_to_a_taken_vat_number_is_409_and_changes_nothing_of_it(ic: httpx.Client) -> None:
    first = register(ic, externalId="erp-1")["gid"]
    second = ic.post("/customers", json={"name": "Bea", "vatNumber": "PT511111111"}).json()
    error = assert_ic_error(
        ic.put(f"/customers/{second['gid']}", json={"vatNumber": "PT500000000"}), 409
    )
    assert error["gid"] == first
    assert ic.get(f"/customers/{second['gid']}").json()["vatNumber"] == "PT511111111"
