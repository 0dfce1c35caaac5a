"""The Python SDK against the live server, on both backends."""

import asyncio
import gzip
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import pytest

from attrium.client import (
    AlreadyExists,
    AsyncClient,
    Client,
    Forbidden,
    IdentifierConflict,
    IdentifierSuppressed,
    MissingKey,
    NotFound,
    Unauthenticated,
    ValidationFailed,
)
from tests.support.workspaces import TestWorkspace


def sdk(workspace: TestWorkspace, token: str | None = None) -> Client:
    return Client(workspace.backend.base_url, token or workspace.token)


def test_customers_round_trip(workspace: TestWorkspace) -> None:
    with sdk(workspace) as attrium:
        created = attrium.put_customer("c1", email="Ada@Example.com", attributes={"age": 36})
        assert created.email == "ada@example.com"
        assert attrium.patch_attributes("c1", {"age": 37, "plan": "pro"}) == {
            "age": 37,
            "plan": "pro",
        }
        assert attrium.get_customer("email:ada@example.com").profile_id == created.profile_id
        assert attrium.find_customer(email="ada@example.com") is not None
        assert attrium.find_customer(email="nobody@example.com") is None
        attrium.delete_customer_attribute("c1", "plan")
        assert attrium.get_customer("c1").attributes == {"age": 37}
        for number in range(5):
            attrium.put_customer(f"d{number}")
        assert len(list(attrium.iter_customers(page_size=2))) == 6
        kinds = {entry.type for entry in attrium.iter_activity("c1", page_size=2)}
        assert {"customer_created", "customer_updated"} <= kinds
        attrium.delete_customer("c1")
        with pytest.raises(NotFound):
            attrium.get_customer("c1")


def test_problems_are_typed_exceptions_with_their_details(workspace: TestWorkspace) -> None:
    with sdk(workspace) as attrium:
        with pytest.raises(ValidationFailed) as invalid:
            attrium.put_customer("c1", attributes={"tags": [0] * 101})
        assert invalid.value.status == 422
        assert invalid.value.fields == ["attributes.tags"]
        attrium.put_customer("c1", email="ada@example.com")
        with pytest.raises(IdentifierConflict) as conflict:
            attrium.put_customer("c2", email="ada@example.com")
        assert conflict.value.problem["conflicts"][0]["field"] == "email"
        attrium.define_attribute("tier", "enum", enum_values=["a", "b"])
        with pytest.raises(AlreadyExists):
            attrium.define_attribute("tier", "enum", enum_values=["a"])
    with sdk(workspace, workspace.key(["attributes:read"])) as reader, pytest.raises(Forbidden):
        reader.put_customer("c3")
    with sdk(workspace, "atr_wrong") as stranger, pytest.raises(Unauthenticated):
        stranger.get_customer("c1")


def test_batch_answers_typed_results_in_order(workspace: TestWorkspace) -> None:
    with sdk(workspace) as attrium:
        attrium.put_customer("c1", email="ada@example.com", attributes={"age": 36})
        results = attrium.batch_customers(
            [
                {"id": "c2", "attributes": {"age": 20}},
                {"email": "ada@example.com", "attributes": {"age": 37}},
                {"id": "c3", "attributes": {"age": "old"}},
                {"id": "c4", "email": "ada@example.com"},
            ]
        )
        assert [result.status for result in results] == [201, 200, 422, 409]
        assert [result.ok for result in results] == [True, True, False, False]
        assert results[0].customer is not None
        assert results[0].customer.id == "c2"
        assert results[1].customer is not None
        assert results[1].customer.attributes == {"age": 37}
        assert results[0].error is None
        assert isinstance(results[2].error, ValidationFailed)
        assert results[2].error.fields == ["attributes.age"]
        assert isinstance(results[3].error, IdentifierConflict)
        with pytest.raises(ValidationFailed) as empty:
            attrium.batch_customers([])
        assert empty.value.fields == ["customers"]

    async def awaited() -> None:
        async with AsyncClient(workspace.backend.base_url, workspace.token) as attrium:
            [result] = await attrium.batch_customers([{"id": "c5"}])
            assert result.status == 201

    asyncio.run(awaited())


def test_catalog(workspace: TestWorkspace) -> None:
    with sdk(workspace) as attrium:
        attrium.define_attribute("age", "number", description="years")
        attrium.update_attribute("age", default=18)
        attrium.put_customer("c1")
        assert attrium.get_customer("c1").attributes == {"age": 18}
        assert [entry.name for entry in attrium.list_attributes()] == ["age"]
        assert attrium.get_attribute("age").default == 18
        attrium.delete_attribute("age")
        assert attrium.list_attributes() == []


def test_import_a_file_and_export(workspace: TestWorkspace, tmp_path: Path) -> None:
    rows = [{"id": f"c{n}", "attributes": {"n": n}} for n in range(300)] + [{"id": "bad", "x": 1}]
    source = tmp_path / "customers.ndjson.gz"
    source.write_bytes(gzip.compress(b"".join(orjson.dumps(row) + b"\n" for row in rows)))
    seen: list[str] = []
    with sdk(workspace) as attrium:
        job = attrium.start_import(source)
        job = attrium.wait_for_import(
            job.id, poll_seconds=0.05, on_progress=lambda j: seen.append(j.state)
        )
        assert (job.state, job.applied, job.rejected) == ("done", 300, 1)
        assert seen[-1] == "done"
        [row] = attrium.iter_import_errors(job.id)
        assert row.line == 301
        exported = b"".join(attrium.export_customers())
        assert len(exported.splitlines()) == 300
        csv_text = b"".join(attrium.export_customers(format="csv")).decode()
        assert csv_text.splitlines()[0].startswith("profile_id,id,")


def test_async_client(workspace: TestWorkspace) -> None:
    async def scenario() -> None:
        async with AsyncClient(workspace.backend.base_url, workspace.token) as attrium:
            await asyncio.gather(
                *(attrium.put_customer(f"c{n}", attributes={"n": n}) for n in range(10))
            )
            assert (await attrium.get_customer("c3")).attributes == {"n": 3}
            ids = [customer.id async for customer in attrium.iter_customers(page_size=3)]
            assert sorted(ids, key=str) == sorted(f"c{n}" for n in range(10))
            job = await attrium.start_import(b'{"id": "c1", "attributes": {"n": 100}}\n')
            job = await attrium.wait_for_import(job.id, poll_seconds=0.05)
            assert job.applied == 1
            chunks = [chunk async for chunk in attrium.export_customers()]
            assert b'"n":100' in b"".join(chunks)
            with pytest.raises(NotFound):
                await attrium.get_customer("nobody")

    asyncio.run(scenario())


def test_segments_templates_and_suppression(workspace: TestWorkspace) -> None:
    with sdk(workspace) as attrium:
        for n in range(5):
            attrium.put_customer(f"c{n}", attributes={"n": n, "name": f"Ada {n}"})
        predicate = {"attribute": "n", "op": "gte", "value": 3}
        preview = attrium.preview_segment(predicate, sample=1)
        assert (preview.count, len(preview.sample)) == (2, 1)
        segment = attrium.create_segment("high", predicate, description="n at least 3")
        assert attrium.count_segment(segment.id) == 2
        assert {c.id for c in attrium.iter_segment_members(segment.id)} == {"c3", "c4"}
        assert [s.name for s in attrium.iter_segments()] == ["high"]
        attrium.delete_segment(segment.id)
        assert attrium.render_template("Hi {{ customer.attributes.name }}", "c1") == "Hi Ada 1"
        template = attrium.create_template("hello", "Hello {{ customer.id }}")
        assert attrium.render_saved_template(template.id, "c2") == "Hello c2"
        assert [t.name for t in attrium.iter_templates()] == ["hello"]
        attrium.put_customer("c9", email="gone@example.com")
        attrium.suppress_customer("c9")
        with pytest.raises(IdentifierSuppressed):
            attrium.put_customer("c10", email="gone@example.com")
        attrium.unsuppress_customer("email:gone@example.com")
        attrium.put_customer("c10", email="gone@example.com")


def test_segment_template_activity_and_merge_routes(workspace: TestWorkspace) -> None:
    started = datetime.now(UTC) - timedelta(seconds=1)
    with sdk(workspace) as attrium:
        for n in range(4):
            attrium.put_customer(f"c{n}", attributes={"n": n})
        segment = attrium.create_segment("high", {"attribute": "n", "op": "gte", "value": 2})
        renamed = attrium.update_segment(segment.id, name="higher", description=None)
        assert attrium.get_segment(segment.id) == renamed
        changes = {
            (change.id, change.change)
            for change in attrium.iter_segment_changes(segment.id, started, page_size=1)
        }
        assert changes == {("c2", "entered"), ("c3", "entered")}
        csv_lines = b"".join(attrium.export_segment(segment.id, format="csv")).splitlines()
        assert len(csv_lines) == 3
        template = attrium.create_template("t", "n={{ customer.attributes.n }}")
        attrium.update_template(template.id, body="N={{ customer.attributes.n }}")
        assert attrium.get_template(template.id).body.startswith("N=")
        previews = attrium.preview_template(template.id, segment.id, limit=5)
        assert sorted(item.rendered for item in previews) == ["N=2", "N=3"]
        attrium.delete_template(template.id)
        with pytest.raises(NotFound):
            attrium.get_template(template.id)

        log = list(attrium.iter_activity_log(attribute="n", types=["customer_created"]))
        assert len({entry.profile_id for entry in log}) == 4
        assert list(attrium.iter_activity_log(until=started)) == []
        [changed] = [c for c in attrium.iter_attribute_changes("n", since=started) if c.id == "c1"]
        assert (changed.before, changed.after) == (None, 1)

        attrium.put_customer("c0", email="ada@example.com")
        merged = attrium.merge_customers({"id": "c1"}, {"email": "ada@example.com"})
        assert merged.customer.email == "ada@example.com"
        assert merged.moved_identifiers
        with pytest.raises(NotFound):
            attrium.get_customer("c0")
        [record] = attrium.list_merges("c1")
        assert (record.merge_id, record.state) == (merged.merge_id, "open")
        undone = attrium.undo_merge(merged.merge_id)
        assert (undone.secondary.id, undone.conflicts) == ("c0", [])
        assert attrium.get_customer("c0").email == "ada@example.com"
        attrium.delete_attribute("n", purge=True)
        assert attrium.get_customer("c3").attributes == {}


def test_a_client_without_a_key_is_refused_at_construction(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ATTRIUM_KEY", raising=False)
    with pytest.raises(MissingKey):
        Client("http://127.0.0.1:9")
    with pytest.raises(MissingKey):
        AsyncClient("http://127.0.0.1:9", " ")


def test_events_and_devices(workspace: TestWorkspace) -> None:
    with sdk(workspace) as attrium:
        attrium.put_customer("c1", anonymous_id="cookie-1")
        happened = datetime(2026, 5, 1, 10, 0, tzinfo=UTC)
        entry = attrium.record_event("c1", "purchase", {"sku": "A"}, timestamp=happened)
        assert (entry.type, entry.created_at) == ("event", happened)
        anonymous = attrium.record_anonymous_event("view", anonymous_id="cookie-1")
        assert anonymous.profile_id == entry.profile_id
        logged = list(attrium.iter_activity_log(event="purchase"))
        assert [item.id for item in logged] == [entry.id]
        device = attrium.put_device("c1", "tok-1", "ios", attributes={"app": "1"})
        assert attrium.list_devices("c1") == [device]
        assert attrium.get_customer("c1").devices == [device]
        attrium.delete_device("c1", "tok-1")
        assert attrium.list_devices("c1") == []
        with pytest.raises(NotFound):
            attrium.delete_device("c1", "tok-1")


def test_patch_attributes_with_a_timestamp(workspace: TestWorkspace) -> None:
    noon = datetime(2024, 5, 1, 12, tzinfo=UTC)
    with sdk(workspace) as attrium:
        attrium.put_customer("c1", timestamp=noon.isoformat(), attributes={"plan": "pro"})
        earlier = noon - timedelta(hours=1)
        assert attrium.patch_attributes("c1", {"plan": "free"}, timestamp=earlier) == {
            "plan": "pro"
        }
        later = int((noon + timedelta(hours=1)).timestamp())
        assert attrium.patch_attributes("c1", {"plan": "team"}, timestamp=later) == {"plan": "team"}
