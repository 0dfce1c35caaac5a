"""CSV imports, and exports that import back, on both backends."""

import csv
import io
from urllib.parse import quote

import httpx
import orjson

from tests.support.imports import import_rows, ndjson, rejected
from tests.support.problems import assert_problem
from tests.support.workspaces import TestWorkspace, new_workspace

CSV = (
    "id,email,custom_identifiers.shop,age:number,vip:boolean,since:datetime,plan,note\r\n"
    'c1,ada@example.com,s-1,36,true,2024-05-01,pro,"likes, commas"\r\n'
    'c2,,,,false,,basic,"two\nlines"\r\n'
    "c3,,,old,,,,\r\n"
    "c4,too,many,cells,,,,,,\r\n"
)


def test_csv_columns_map_to_identifiers_and_typed_attributes(api: httpx.Client) -> None:
    job = import_rows(api, CSV.encode(), import_format="csv", compress=True)
    assert (job["state"], job["applied"], job["rejected"]) == ("done", 2, 2), job
    c1 = api.get("/v1/customers/c1").json()
    assert c1["email"] == "ada@example.com"
    assert c1["custom_identifiers"] == {"shop": "s-1"}
    assert c1["attributes"] == {
        "age": 36,
        "vip": True,
        "since": "2024-05-01T00:00:00Z",
        "plan": "pro",
        "note": "likes, commas",
    }
    c2 = api.get("/v1/customers/c2").json()["attributes"]
    assert c2 == {"vip": False, "plan": "basic", "note": "two\nlines"}
    errors = rejected(api, job["id"])
    assert [(e["line"], e["errors"][0]["field"]) for e in errors] == [
        (4, "attributes.age"),
        (5, "line"),
    ]
    assert api.get("/v1/attributes/age").json()["type"] == "number"


def test_a_broken_header_fails_the_job(api: httpx.Client) -> None:
    job = import_rows(api, b"id,plan,plan\r\nc1,a,b\r\n", import_format="csv")
    assert job["state"] == "failed"
    assert "plan" in job["error"]


def test_export_streams_every_customer_as_ndjson(api: httpx.Client) -> None:
    rows = [{"id": f"c{n}", "attributes": {"n": n}} for n in range(2100)]
    import_rows(api, ndjson(rows))
    with api.stream("GET", "/v1/customers/export") as answer:
        assert answer.status_code == 200
        assert answer.headers["content-type"].startswith("application/x-ndjson")
        exported = [orjson.loads(line) for line in answer.iter_lines() if line]
    assert len(exported) == 2100
    assert {item["id"]: item["attributes"]["n"] for item in exported} == {
        f"c{n}": n for n in range(2100)
    }


def test_a_csv_export_imports_back(api: httpx.Client, workspace: TestWorkspace) -> None:
    api.post("/v1/attributes", json={"name": "age", "type": "number", "default": 1})
    api.put(
        "/v1/customers/c1",
        json={
            "email": "ada@example.com",
            "custom_identifiers": {"shop": "s-1"},
            "attributes": {"age": 36, "plan": "pro, annual"},
        },
    )
    api.put("/v1/customers/c2", json={"attributes": {"plan": "basic"}})
    exported = api.get("/v1/customers/export", params={"format": "csv"})
    assert exported.status_code == 200
    assert exported.headers["content-type"].startswith("text/csv")
    other = new_workspace(workspace.backend)
    with other.client() as other_api:
        other_api.post("/v1/attributes", json={"name": "age", "type": "number"})
        job = import_rows(other_api, exported.content, import_format="csv")
        assert (job["applied"], job["rejected"]) == (2, 0), rejected(other_api, job["id"])
        for customer in ("c1", "c2"):
            mine = api.get(f"/v1/customers/{customer}").json()
            theirs = other_api.get(f"/v1/customers/{customer}").json()
            for field in ("email", "custom_identifiers", "attributes"):
                assert theirs[field] == mine[field], field


def test_export_of_a_segment(api: httpx.Client) -> None:
    import_rows(api, ndjson([{"id": f"c{n}", "attributes": {"n": n}} for n in range(10)]))
    predicate = {"attribute": "n", "op": "gte", "value": 7}
    created = api.post("/v1/segments", json={"name": "high", "predicate": predicate})
    assert created.status_code == 201, created.text
    segment_id = created.json()["id"]
    answer = api.get("/v1/customers/export", params={"segment": segment_id})
    assert answer.status_code == 200, answer.text
    ids = sorted(orjson.loads(line)["id"] for line in answer.text.splitlines())
    assert ids == ["c7", "c8", "c9"]
    assert_problem(api.get("/v1/customers/export", params={"segment": "seg_nope"}), 404)
    assert_problem(api.get("/v1/customers/export", params={"format": "xml"}), 422, "format")


def test_a_row_rejected_for_its_cell_type_names_its_customer(api: httpx.Client) -> None:
    content = "id,email,age:number\r\nc1,,old\r\n,ada@example.com,young\r\n,,\r\nc4,,4\r\n"
    job = import_rows(api, content.encode(), import_format="csv")
    assert (job["applied"], job["rejected"]) == (1, 3), job
    errors = rejected(api, job["id"])
    assert [(e["line"], e["customer"]) for e in errors] == [
        (2, "c1"),
        (3, "email:ada@example.com"),
        (4, None),
    ]
    assert errors[0]["errors"][0]["field"] == "attributes.age"


FORMULA_IDS = ["=1+2", "+1", "-x", "@SUM(A1)", "'=quoted", "'plain"]
FORMULA_VALUES = {"=1+2": "'=1+2", "-5": "'-5", "\tt": "'\tt", "''-x": "'''-x", "'a": "'a"}


def test_a_csv_export_escapes_formulas_and_imports_back(
    api: httpx.Client, workspace: TestWorkspace
) -> None:
    api.post("/v1/attributes", json={"name": "n", "type": "number"})
    api.post("/v1/attributes", json={"name": "note", "type": "string"})
    notes = list(FORMULA_VALUES)
    for number, customer in enumerate(FORMULA_IDS):
        attributes = {"n": -5 - number, "note": notes[number % len(notes)]}
        path = f"/v1/customers/{quote(customer, safe='')}"
        answer = api.put(path, json={"attributes": attributes})
        assert answer.status_code == 201, answer.text
    exported = api.get("/v1/customers/export", params={"format": "csv"})
    rows = list(csv.DictReader(io.StringIO(exported.text, newline="")))
    assert sorted(row["id"] for row in rows) == sorted(
        ["'=1+2", "'+1", "'-x", "'@SUM(A1)", "''=quoted", "'plain"]
    )
    assert {row["attributes.note"] for row in rows} == set(FORMULA_VALUES.values())
    # Numbers are typed values, written as number literals: no formula, no escape.
    assert {row["attributes.n"] for row in rows} == {str(-5 - n) for n in range(6)}
    other = new_workspace(workspace.backend)
    with other.client() as other_api:
        other_api.post("/v1/attributes", json={"name": "n", "type": "number"})
        job = import_rows(other_api, exported.content, import_format="csv")
        assert (job["applied"], job["rejected"]) == (6, 0), rejected(other_api, job["id"])
        for customer in FORMULA_IDS:
            path = f"/v1/customers/{quote(customer, safe='')}"
            theirs = other_api.get(path).json()
            assert theirs["id"] == customer
            assert theirs["attributes"] == api.get(path).json()["attributes"]
