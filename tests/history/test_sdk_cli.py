"""As-of reads through the SDK and the CLI, against the live server."""

import time
from datetime import UTC, datetime

import orjson
import pytest

from attrium.client import Client, ValidationFailed
from tests.cli.test_remote_cli import attrium
from tests.support.workspaces import TestWorkspace


def instant() -> datetime:
    time.sleep(0.01)
    moment = datetime.now(UTC)
    time.sleep(0.01)
    return moment


def test_sdk_as_of_reads(workspace: TestWorkspace) -> None:
    with Client(workspace.backend.base_url, workspace.token) as client:
        client.define_attribute("plan", "string")
        client.put_customer("c1", attributes={"plan": "free"})
        march = instant()
        client.patch_attributes("c1", {"plan": "pro"})
        past = client.get_customer("c1", as_of=march)
        assert past.attributes == {"plan": "free"}
        assert past.as_of is not None
        assert client.get_customer("c1").attributes == {"plan": "pro"}
        values = [held.value for held in client.iter_attribute_history("c1", "plan")]
        assert values == ["pro", "free"]
        on_free = {"attribute": "plan", "op": "eq", "value": "free"}
        assert client.preview_segment(on_free, as_of=march).count == 1
        assert client.preview_segment(on_free).count == 0
        segment = client.create_segment("free", on_free)
        assert client.count_segment(segment.id, as_of=march) == 1
        assert [c.id for c in client.iter_segment_members(segment.id, as_of=march)] == ["c1"]
        with pytest.raises(ValidationFailed) as refused:
            client.get_customer("c1", as_of=datetime(2026, 3, 1))  # no zone
        assert "as_of" in str(refused.value.problem)


def test_cli_get_as_of(workspace: TestWorkspace) -> None:
    assert attrium(workspace, "customers", "put", "c1", "plan=free").returncode == 0
    march = instant().isoformat()
    assert attrium(workspace, "customers", "put", "c1", "plan=pro").returncode == 0
    got = attrium(workspace, "customers", "get", "c1", "--as-of", march, "--json")
    assert got.returncode == 0, got.stderr
    assert orjson.loads(got.stdout)["attributes"] == {"plan": "free"}
    table = attrium(workspace, "customers", "get", "c1", "--as-of", march)
    assert "free" in table.stdout
    bad = attrium(workspace, "customers", "get", "c1", "--as-of", "last week")
    assert bad.returncode != 0
    assert "--as-of" in bad.stderr
