"""Objects and arrays in imports (NDJSON natively, CSV as JSON cells) and exports."""

import csv
import io

import httpx
import orjson

from tests.support.imports import import_rows, ndjson, rejected
from tests.support.workspaces import TestWorkspace, new_workspace

ADDRESS = {"city": "Lisbon", "zip": "1000-001", "geo": {"lat": 38.7}}


def test_ndjson_imports_nested_values_natively(api: httpx.Client) -> None:
    rows = [
        {"id": "c1", "attributes": {"address": ADDRESS, "tags": ["vip", 1]}},
        {"id": "c2", "attributes": {"tags": list(range(101))}},  # over the array limit
        {"id": "c3", "attributes": {"address": "Lisbon"}},  # not an object
    ]
    job = import_rows(api, ndjson(rows))
    assert (job["applied"], job["rejected"]) == (1, 2), job
    assert api.get("/v1/customers/c1").json()["attributes"] == {
        "address": ADDRESS,
        "tags": ["vip", 1],
    }
    errors = rejected(api, job["id"])
    assert [(e["line"], e["errors"][0]["rule"]) for e in errors] == [
        (2, "value.array_length"),
        (3, "type.object"),
    ]
    assert api.get("/v1/attributes/address").json()["type"] == "object"


def test_csv_columns_declared_object_or_array_take_json_cells(api: httpx.Client) -> None:
    content = (
        "id,address:object,attributes.tags:array,plan\r\n"
        'c1,"{""city"": ""Lisbon"", ""zip"": ""1000-001""}","[""vip"", 2]",pro\r\n'
        "c2,,[],basic\r\n"
        'c3,"[1]",,x\r\n'
        'c4,,"{""a"": 1}",x\r\n'
        "c5,{not json,,x\r\n"
    )
    job = import_rows(api, content.encode(), import_format="csv")
    assert (job["applied"], job["rejected"]) == (2, 3), job
    assert api.get("/v1/customers/c1").json()["attributes"] == {
        "address": {"city": "Lisbon", "zip": "1000-001"},
        "tags": ["vip", 2],
        "plan": "pro",
    }
    assert api.get("/v1/customers/c2").json()["attributes"] == {"tags": [], "plan": "basic"}
    errors = rejected(api, job["id"])
    assert [(e["line"], e["errors"][0]["field"], e["errors"][0]["rule"]) for e in errors] == [
        (4, "attributes.address", "type.object"),
        (5, "attributes.tags", "type.array"),
        (6, "attributes.address", "type.object"),
    ]


def test_exports_write_nested_values_and_a_csv_export_imports_back(
    api: httpx.Client, workspace: TestWorkspace
) -> None:
    api.put("/v1/customers/c1", json={"attributes": {"address": ADDRESS, "tags": ["=1", "b"]}})
    api.put("/v1/customers/c2", json={"attributes": {"tags": []}})
    lines = api.get("/v1/customers/export").text.splitlines()
    assert orjson.loads(lines[0])["attributes"] == {"address": ADDRESS, "tags": ["=1", "b"]}
    exported = api.get("/v1/customers/export", params={"format": "csv"})
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert orjson.loads(rows[0]["attributes.address:object"]) == ADDRESS
    assert orjson.loads(rows[0]["attributes.tags:array"]) == ["=1", "b"]
    assert rows[1]["attributes.address:object"] == ""
    other = new_workspace(workspace.backend)
    with other.client() as other_api:
        job = import_rows(other_api, exported.content, import_format="csv")
        assert (job["applied"], job["rejected"]) == (2, 0), rejected(other_api, job["id"])
        for customer in ("c1", "c2"):
            mine = api.get(f"/v1/customers/{customer}").json()["attributes"]
            assert other_api.get(f"/v1/customers/{customer}").json()["attributes"] == mine
        types = {
            item["name"]: item["type"] for item in other_api.get("/v1/attributes").json()["items"]
        }
        assert types == {"address": "object", "tags": "array"}


def test_segment_exports_write_nested_values_too(api: httpx.Client) -> None:
    api.put("/v1/customers/c1", json={"attributes": {"tags": ["vip"]}})
    predicate = {"attribute": "tags", "op": "contains", "value": "vip"}
    segment_id = api.post("/v1/segments", json={"name": "vips", "predicate": predicate}).json()[
        "id"
    ]
    answer = api.get(f"/v1/segments/{segment_id}/export", params={"format": "csv"})
    assert answer.status_code == 200, answer.text
    [row] = list(csv.DictReader(io.StringIO(answer.text)))
    assert row["attributes.tags:array"] == '["vip"]'
