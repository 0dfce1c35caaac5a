"""Bulk import through `/v1/imports`, on both backends."""

import time

import httpx
import pytest
from sqlalchemy import text

from attrium.imports import apply
from tests.support.imports import import_rows, ndjson, rejected, upload, wait_for
from tests.support.problems import assert_problem
from tests.support.workspaces import TestWorkspace


def test_ndjson_rows_apply_with_the_api_rules(api: httpx.Client) -> None:
    api.post("/v1/attributes", json={"name": "tier", "type": "enum", "enum_values": ["a", "b"]})
    api.put("/v1/customers/c2", json={"attributes": {"age": 40}})
    rows = [
        {"id": "c1", "email": " Ada@Example.com ", "attributes": {"age": "36", "tier": "a"}},
        {"id": "c2", "attributes": {"age": 41, "since": "2024-05-01T12:00:00+02:00"}},
        {"id": "c3", "attributes": {"age": "old"}},
        {"id": "c4", "attributes": {"tier": "z"}},
        {"id": "c5", "attributes": {"tags": {"deep": [[[[["x"]]]]]}}},
    ]
    job = import_rows(api, ndjson(rows) + b"not json\n" + ndjson([{"email": "x@example.com"}]))
    assert job["state"] == "done", job
    assert (job["rows_read"], job["applied"], job["rejected"]) == (7, 3, 4)
    c1 = api.get("/v1/customers/c1").json()
    assert c1["email"] == "ada@example.com"
    assert c1["attributes"] == {"age": 36, "tier": "a"}
    c2 = api.get("/v1/customers/c2").json()["attributes"]
    assert c2 == {"age": 41, "since": "2024-05-01T10:00:00Z"}
    errors = rejected(api, job["id"])
    assert [(e["line"], e["errors"][0]["field"]) for e in errors] == [
        (3, "attributes.age"),
        (4, "attributes.tier"),
        (5, "attributes.tags.deep.0.0.0.0"),
        (6, "line"),
    ]
    assert errors[0]["customer"] == "c3"
    assert "number" in errors[0]["reason"]
    assert_problem(api.get("/v1/customers/c3"), 404)
    assert api.get("/v1/customers/email:x@example.com").json()["email"] == "x@example.com"


def test_new_attributes_enter_the_catalog_as_batch(api: httpx.Client) -> None:
    job = import_rows(api, ndjson([{"id": "c1", "attributes": {"plan": "pro"}}]))
    assert job["applied"] == 1
    entry = api.get("/v1/attributes/plan").json()
    assert entry["source"] == "batch"
    history = api.get("/v1/customers/c1/activity").json()["items"]
    assert {item["source"] for item in history} == {"import"}


def test_rows_in_one_batch_see_each_other_in_order(api: httpx.Client) -> None:
    rows = [
        {"id": "c1", "email": "ada@example.com", "attributes": {"n": 1}},
        {"id": "c1", "attributes": {"n": 2, "first": "yes"}},
        {"id": "c2", "email": "ada@example.com"},
        {"id": "c3", "attributes": {"score": 5}},
        {"id": "c4", "attributes": {"score": "five"}},
        {"email": "ada@example.com", "attributes": {"n": 3}},
    ]
    job = import_rows(api, ndjson(rows))
    assert (job["applied"], job["rejected"], job["conflicts"]) == (5, 1, 1), job
    assert api.get("/v1/customers/c1").json()["attributes"] == {"n": 3, "first": "yes"}
    errors = rejected(api, job["id"])
    assert [(e["line"], e["applied"]) for e in errors] == [(3, True), (5, False)]
    assert errors[0]["errors"][0]["field"] == "email"


def test_gzip_upload(api: httpx.Client) -> None:
    rows = [{"id": f"c{number}", "attributes": {"n": number}} for number in range(2500)]
    job = import_rows(api, ndjson(rows), compress=True)
    assert (job["state"], job["applied"]) == ("done", 2500), job
    assert job["rows_per_second"] > 0
    assert api.get("/v1/customers/c2499").json()["attributes"] == {"n": 2499}


def test_an_idempotency_key_returns_the_same_job(api: httpx.Client) -> None:
    content = ndjson([{"id": "c1", "attributes": {"n": 1}}])
    headers = {"Idempotency-Key": "upload-1"}
    first = upload(api, content, headers=headers)
    again = upload(api, content, headers=headers)
    assert again["id"] == first["id"]
    wait_for(api, first["id"])
    assert len(api.get("/v1/imports").json()["items"]) == 1


def test_unknown_job_and_bad_format(api: httpx.Client) -> None:
    assert_problem(api.get("/v1/imports/imp_nope"), 404)
    assert_problem(api.post("/v1/imports", params={"format": "xml"}, content=b"x"), 422, "format")
    assert_problem(api.post("/v1/imports", params={"format": "csv"}, content=b""), 422, "body")


def test_upload_needs_write_scope(workspace: TestWorkspace) -> None:
    with workspace.client(workspace.key(["attributes:read"])) as reader:
        assert_problem(reader.post("/v1/imports", content=b"{}\n"), 403)


def test_suppressed_identifiers_are_refused_without_echoing_them(api: httpx.Client) -> None:
    api.put("/v1/customers/c1", json={"email": "ada@example.com"})
    assert api.post("/v1/customers/c1/suppress").status_code == 200
    rows = [{"id": "c9", "email": "ada@example.com"}, {"id": "c1"}, {"id": "c2"}]
    job = import_rows(api, ndjson(rows))
    assert (job["applied"], job["rejected"]) == (1, 2), job
    errors = rejected(api, job["id"])
    assert [(e["line"], e["customer"]) for e in errors] == [(1, None), (2, None)]
    assert "ada@example.com" not in str(errors)
    assert_problem(api.get("/v1/customers/c9"), 404)


def test_a_second_import_finds_customers_by_every_kind_of_identifier(api: httpx.Client) -> None:
    count = 1200  # more than one batch's lookups of each kind
    first = [
        {"id": f"c{n}", "email": f"u{n}@example.com", "custom_identifiers": {"crm": f"k{n}"}}
        for n in range(count)
    ]
    assert import_rows(api, ndjson(first))["applied"] == count
    again = [
        {"email": f"u{n}@example.com", "attributes": {"n": n}}
        if n % 2
        else {"id": f"c{n}", "custom_identifiers": {"crm": f"k{n}"}, "attributes": {"n": n}}
        for n in range(count)
    ]
    job = import_rows(api, ndjson(again))
    assert (job["applied"], job["rejected"], job["conflicts"]) == (count, 0, 0), job
    for n in (0, 1, count - 1):
        assert api.get(f"/v1/customers/c{n}").json()["attributes"] == {"n": n}
    assert api.get("/v1/customers/c0").json()["custom_identifiers"] == {"crm": "k0"}


def test_a_row_that_is_not_a_valid_body_names_its_customer(api: httpx.Client) -> None:
    rows = [
        {"id": "c1", "email": 5},
        {"id": "c2", "attributes": "not an object"},
        {"id": 7, "attributes": {}},
        {"email": "ada@example.com", "phone": []},
    ]
    job = import_rows(api, ndjson(rows))
    assert (job["applied"], job["rejected"]) == (0, 4), job
    errors = rejected(api, job["id"])
    assert [(e["line"], e["customer"]) for e in errors] == [
        (1, "c1"),
        (2, "c2"),
        (3, None),
        (4, "email:ada@example.com"),
    ]


def test_a_rejected_row_does_not_echo_a_suppressed_customer(api: httpx.Client) -> None:
    api.put("/v1/customers/c1", json={"email": "ada@example.com"})
    assert api.post("/v1/customers/c1/suppress").status_code == 200
    rows = [{"id": "c1", "email": 5}, {"email": "ada@example.com", "attributes": 1}]
    job = import_rows(api, ndjson(rows))
    assert (job["applied"], job["rejected"]) == (0, 2), job
    errors = rejected(api, job["id"])
    assert [(e["line"], e["customer"]) for e in errors] == [(1, None), (2, None)]
    assert "ada@example.com" not in str(errors)


def test_a_large_import_refreshes_the_planner_statistics(
    workspace: TestWorkspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PostgreSQL: without statistics of what a bulk load wrote, the write path's lock
    query scans the workspace; a job applying `ANALYZE_AFTER_ROWS` rows analyses."""
    if workspace.backend.name == "sqlite":
        pytest.skip("SQLite plans from its indexes alone: nothing to refresh")
    monkeypatch.setattr(apply, "ANALYZE_AFTER_ROWS", 3)

    def analyses() -> int:
        async def reading() -> int:
            async with workspace.backend.db.reader() as connection:
                statement = text(
                    "SELECT analyze_count FROM pg_stat_user_tables"
                    " WHERE schemaname = current_schema() AND relname = 'customers'"
                )
                return int((await connection.execute(statement)).scalar_one())

        return workspace.backend.run(reading())

    before = analyses()
    with workspace.client() as api:
        assert import_rows(api, ndjson([{"id": "a"}, {"id": "b"}]))["state"] == "done"
        assert analyses() == before
        assert import_rows(api, ndjson([{"id": f"c{n}"} for n in range(3)]))["state"] == "done"
    # The job shows done with its last batch's commit; its ANALYZE follows that commit.
    deadline = time.monotonic() + 60
    while analyses() == before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert analyses() == before + 1
