"""Objects and arrays on the dialects: Customer.io takes them, Attentive refuses them as
its documents say, Optimove's columns stay scalar."""

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.dialects.test_optimove import add_attribute, listed, optimove_client, update, upsert
from tests.support.workspaces import TestWorkspace

ADDRESS = {"city": "Lisbon", "zip": "1000-001"}
ATTENTIVE_V1 = "/compat/attentive/v1/attributes/custom"
ATTENTIVE_V2 = "/compat/attentive/v2/user/attributes"


@pytest.fixture
def track(workspace: TestWorkspace) -> Iterator[httpx.Client]:
    auth = (workspace.workspace.workspace_id, workspace.token)
    base_url = workspace.backend.base_url + "/compat/customerio/api/v1"
    with httpx.Client(base_url=base_url, auth=auth) as client:
        yield client


@pytest.fixture
def optimove(workspace: TestWorkspace) -> Iterator[httpx.Client]:
    with optimove_client(workspace) as client:
        yield client


def held(api: httpx.Client, ref: str) -> dict[str, Any]:
    answer = api.get(f"/v1/customers/{ref}")
    assert answer.status_code == 200, answer.text
    attributes: dict[str, Any] = answer.json()["attributes"]
    return attributes


def test_customerio_identify_stores_nested_objects_and_arrays(
    track: httpx.Client, api: httpx.Client
) -> None:
    body = {"address": ADDRESS, "tags": ["vip", "beta"], "plan": "pro"}
    answer = track.put("/customers/c1", json=body)
    assert answer.status_code == 200, answer.text
    assert held(api, "c1") == body
    assert track.put("/customers/c1", json={"address": {"city": "Porto"}}).status_code == 200
    assert held(api, "c1")["address"] == {"city": "Porto"}  # the object is replaced whole
    refused = track.put("/customers/c1", json={"tags": list(range(101))})
    assert refused.status_code == 400
    assert "tags" in refused.json()["meta"]["error"]


def test_attentive_still_refuses_arrays_and_maps(
    workspace: TestWorkspace, api: httpx.Client
) -> None:
    with workspace.client() as attentive:
        for value in (["chicago", "new york"], {"favorite city": "Boston"}):
            v1 = attentive.post(
                ATTENTIVE_V1, json={"properties": {"city": value}, "user": {"email": "a@b.co"}}
            )
            assert v1.status_code == 400, v1.text
            assert "properties.city" in [error["field"] for error in v1.json()["errors"]]
            v2 = attentive.post(
                ATTENTIVE_V2,
                json={"attributes": {"city": value}, "identifiers": {"email": "a@b.co"}},
            )
            assert v2.status_code == 400, v2.text
            assert "attributes.city" in [error["field"] for error in v2.json()["errors"]]
    assert api.get("/v1/customers/email:a@b.co").status_code == 404


def test_optimove_keeps_scalar_types(optimove: httpx.Client, api: httpx.Client) -> None:
    for column_type in ("OBJECT", "ARRAY", "JSON"):
        assert add_attribute(optimove, "Address", column_type)["errorId"] == "3"
    refused = optimove.post(
        "/Customers/UpdateCustomerAttributes",
        json={
            "CustomerNewAttributesValuesList": [
                {"CustomerID": "c1", "Attributes": [{"RealFieldName": "A", "Value": ["x"]}]}
            ]
        },
    )
    assert refused.status_code == 400, refused.text
    # An object written natively reads as JSON text in an NVARCHAR(MAX) column, and a
    # scalar written to it through Optimove is refused as an invalid value.
    api.put("/v1/customers/c1", json={"attributes": {"Address": ADDRESS}})
    assert listed(optimove)["Address"]["Type"] == "NVARCHAR(MAX)"
    answer = optimove.get("/current/customers/GetCustomerAttributes?CustomerID=c1")
    [value] = answer.json()["Attributes"]
    assert value["RealFieldName"] == "Address"
    assert json.loads(value["Value"]) == ADDRESS
    outcome = update(optimove, ("c1", {"Address": "Porto"}))
    assert outcome["isSuccess"] is False
    assert held(api, "c1")["Address"] == ADDRESS
    assert upsert(optimove, "c1", {"Address": '{"city": "Porto"}'})["isSuccess"] is False
