"""A key that may write but not read gets no stored data back from its writes.

Without `attributes:read`, a write's answer is a receipt: the profile id, and the
identifiers and attributes the request itself sent (customers/receipts.py).
"""

import httpx
import pytest

from tests.dialects.test_invisible_collector import PREFIX
from tests.support.workspaces import TestWorkspace

STORED = {"email": "ada@example.com", "attributes": {"secret": "s3cr3t", "plan": "pro"}}


@pytest.fixture
def writer(api: httpx.Client, workspace: TestWorkspace) -> httpx.Client:
    api.put("/v1/customers/c1", json=STORED).raise_for_status()
    return workspace.client(workspace.key(["attributes:write"]))


def test_a_put_answers_only_what_it_sent(writer: httpx.Client) -> None:
    answer = writer.put("/v1/customers/c1", json={"update_only": True})
    assert answer.status_code == 200
    body = answer.json()
    assert body["attributes"] == {}
    assert body["email"] is None
    assert body["id"] == "c1"
    assert body["created_at"] is None
    assert body["updated_at"] is None
    sent = writer.put("/v1/customers/c1", json={"attributes": {"score": 3}}).json()
    assert sent["attributes"] == {"score": 3}


def test_a_patch_answers_only_what_it_sent(writer: httpx.Client, api: httpx.Client) -> None:
    assert writer.patch("/v1/customers/c1/attributes", json={}).json() == {"attributes": {}}
    answer = writer.patch("/v1/customers/c1/attributes", json={"plan": "free", "gone": None})
    assert answer.json() == {"attributes": {"plan": "free"}}
    stored = api.get("/v1/customers/c1").json()["attributes"]
    assert stored == {"secret": "s3cr3t", "plan": "free"}  # the write itself applied


def test_a_batch_answers_only_what_each_item_sent(writer: httpx.Client) -> None:
    items = [{"id": "c1", "attributes": {"score": 1}}, {"email": "ada@example.com"}]
    results = writer.post("/v1/customers/batch", json={"customers": items}).json()["results"]
    assert [result["status"] for result in results] == [200, 200]
    assert results[0]["customer"]["attributes"] == {"score": 1}
    assert results[0]["customer"]["email"] is None
    assert results[1]["customer"]["attributes"] == {}
    assert results[1]["customer"]["id"] is None


def test_an_identifier_conflict_shows_no_stored_data(writer: httpx.Client) -> None:
    answer = writer.put("/v1/customers/c2", json={"email": "ada@example.com"})
    assert answer.status_code == 409
    assert "s3cr3t" not in answer.text
    assert answer.json()["customer"]["attributes"] == {}


def test_a_merge_shows_no_stored_data(api: httpx.Client, writer: httpx.Client) -> None:
    api.put("/v1/customers/c2", json={"attributes": {"other": "value"}}).raise_for_status()
    body = {"primary": {"id": "c1"}, "secondary": {"id": "c2"}}
    answer = writer.post("/v1/customers/merge", json=body)
    assert answer.status_code == 200, answer.text
    assert answer.json()["customer"]["attributes"] == {}
    assert "s3cr3t" not in answer.text
    assert "value" not in answer.text


def test_invisible_collector_answers_only_what_was_sent(
    writer: httpx.Client, workspace: TestWorkspace
) -> None:
    token = writer.headers["Authorization"]
    with httpx.Client(
        base_url=workspace.backend.base_url + PREFIX, headers={"Authorization": token}
    ) as ic:
        assert ic.post("/customers/c1/attributes", json={}).json() == {}
        assert ic.post("/customers/c1/attributes", json={"a": "b"}).json() == {"a": "b"}


def test_a_key_that_may_read_still_gets_the_customer(api: httpx.Client) -> None:
    api.put("/v1/customers/c1", json=STORED).raise_for_status()
    body = api.patch("/v1/customers/c1/attributes", json={}).json()
    assert body == {"attributes": STORED["attributes"]}
