"""`POST /v1/customers/batch`: many writes in one request, each answered and refused alone."""

import asyncio
from typing import Any

import httpx

from tests.support.activity import activity_of
from tests.support.backends import LiveBackend
from tests.support.problems import assert_problem
from tests.support.twins import app_of
from tests.support.workspaces import TestWorkspace, new_workspace

BATCH = "/v1/customers/batch"


def batch(api: httpx.Client, *items: Any) -> list[dict[str, Any]]:
    answer = api.post(BATCH, json={"customers": list(items)})
    assert answer.status_code == 200, answer.text
    results: list[dict[str, Any]] = answer.json()["results"]
    assert len(results) == len(items)
    return results


def test_each_item_is_answered_in_order_created_updated_or_refused(api: httpx.Client) -> None:
    api.put("/v1/customers/c2", json={"attributes": {"n": 1}})
    results = batch(
        api,
        {"id": "c1", "email": "A@x.io", "attributes": {"plan": "pro"}},
        {"id": "c2", "attributes": {"n": 2}},
        {"id": "c3", "attributes": {"n": "two"}},
        {"id": "c4", "emial": "typo"},
        {"attributes": {"n": 4}},
        {"id": "c5", "attributes": {"n": 5}},
    )
    assert [result["status"] for result in results] == [201, 200, 422, 422, 422, 201]
    assert results[0]["customer"]["email"] == "a@x.io"
    assert results[0]["customer"]["attributes"] == {"plan": "pro"}
    assert results[1]["customer"]["attributes"] == {"n": 2}
    assert set(results[2]) == {"status", "problem"}
    assert results[2]["problem"]["errors"][0]["field"] == "attributes.n"
    assert results[3]["problem"]["errors"][0]["field"] == "emial"
    assert results[4]["problem"]["errors"][0] == {
        "field": "id",
        "rule": "required",
        "message": "each row needs an id (or an email, phone or anonymous_id)",
    }
    assert api.get("/v1/customers/c5").json()["attributes"] == {"n": 5}
    assert_problem(api.get("/v1/customers/c3"), 404)


def test_a_refused_item_carries_the_problem_its_put_would_have_answered(
    api: httpx.Client,
) -> None:
    api.put("/v1/customers/c1", json={"email": "taken@x.io", "attributes": {"n": 1}})
    items = [
        {"id": "c2", "email": "taken@x.io"},
        {"id": "c3", "attributes": {"n": "x"}},
        {"id": "c4", "update_only": True},
        {"id": "c5", "phone": "12"},
    ]
    results = batch(api, *items)
    for item, result in zip(items, results, strict=True):
        alone_id = f"{item['id']}-alone"
        alone = api.put(f"/v1/customers/{alone_id}", json={**item, "id": alone_id})
        problem = result["problem"]
        assert result["status"] == alone.status_code == problem["status"], alone.text
        expected = alone.json()
        assert problem["type"] == expected["type"]
        assert problem.get("errors") == expected.get("errors")
        assert problem["instance"] == BATCH
    conflict = results[0]["problem"]
    assert conflict["conflicts"][0]["field"] == "email"
    assert conflict["customer"]["profile_id"]  # the rest of the item applied, as for a PUT


def test_items_address_customers_by_id_email_phone_or_anonymous_id(api: httpx.Client) -> None:
    api.put("/v1/customers/c1", json={"email": "a@x.io", "phone": "+19148440001"})
    api.put("/v1/customers/c2", json={"anonymous_id": "anon-2"})
    results = batch(
        api,
        {"email": "A@x.io", "attributes": {"via": "email"}},
        {"anonymous_id": "anon-2", "attributes": {"via": "anonymous_id"}},
        {"phone": "+19148440001", "attributes": {"seen": True}},
        {"email": "new@x.io", "attributes": {"via": "email"}},
    )
    assert [result["status"] for result in results] == [200, 200, 200, 201]
    assert results[0]["customer"]["id"] == "c1"
    assert results[1]["customer"]["id"] == "c2"
    assert results[2]["customer"]["attributes"] == {"via": "email", "seen": True}
    assert results[3]["customer"]["id"] is None
    assert api.get("/v1/customers/email:new@x.io").json()["attributes"] == {"via": "email"}


def test_writes_to_one_customer_apply_in_order_and_none_is_lost(api: httpx.Client) -> None:
    items = [{"id": "c1", "attributes": {"n": n, f"a{n}": True}} for n in range(10)]
    results = batch(api, *items)
    assert [result["status"] for result in results] == [201] + [200] * 9
    assert [result["customer"]["attributes"]["n"] for result in results] == list(range(10))
    final = api.get("/v1/customers/c1").json()["attributes"]
    assert final == {"n": 9, **{f"a{n}": True for n in range(10)}}
    updates = [e for e in activity_of(api, "c1") if e["type"].startswith("customer_")]
    assert len(updates) == 10


def test_a_refused_item_is_recorded_like_a_refused_put(api: httpx.Client) -> None:
    api.put("/v1/customers/c1", json={"attributes": {"n": 1}})
    batch(api, {"id": "c1", "attributes": {"n": "x"}}, {"id": "c1", "emial": "typo"})
    rejected = [e for e in activity_of(api, "c1") if e["type"] == "write_rejected"]
    assert [entry["customer_ref"] for entry in rejected] == ["c1", "c1"]
    reasons = " ".join(str(entry["reason"]) for entry in rejected)
    assert "emial" in reasons
    assert "type number" in reasons


def test_a_suppressed_identifier_is_not_recorded_back(api: httpx.Client) -> None:
    api.put("/v1/customers/c1", json={"email": "gone@x.io"})
    assert api.post("/v1/customers/c1/suppress").status_code in (200, 201, 204)
    results = batch(
        api, {"email": "gone@x.io", "attributes": {"n": 1}}, {"email": "gone@x.io", "x": 1}
    )
    assert [result["problem"]["status"] for result in results] == [409, 422]
    log = api.get("/v1/activity", params={"type": "write_rejected"}).json()["items"]
    assert len(log) == 2
    assert "gone@x.io" not in str(log)


def test_zero_or_more_than_a_thousand_items_are_refused_naming_the_rule(
    api: httpx.Client,
) -> None:
    problem = assert_problem(api.post(BATCH, json={"customers": []}), 422, "customers")
    assert problem["errors"][0]["rule"] == "too_short"
    many = [{"id": f"c{n}"} for n in range(1001)]
    problem = assert_problem(api.post(BATCH, json={"customers": many}), 422, "customers")
    assert problem["errors"][0]["rule"] == "too_long"
    assert_problem(api.post(BATCH, json={}), 422, "customers")
    assert_problem(api.post(BATCH, json={"customers": {"id": "c1"}}), 422, "customers")
    assert_problem(api.post(BATCH, json={"customers": [], "x": 1}), 422, "x")
    assert_problem(api.get("/v1/customers/c0"), 404)  # nothing of them applied


def test_a_thousand_items_apply(api: httpx.Client) -> None:
    items = [{"id": f"c{n}", "attributes": {"n": n}} for n in range(1000)]
    results = batch(api, *items)
    assert {result["status"] for result in results} == {201}
    assert api.get("/v1/customers/c999").json()["attributes"] == {"n": 999}


def test_a_body_over_the_batch_limit_is_413(api: httpx.Client) -> None:
    padding = "x" * (10 * 1024 * 1024)
    answer = api.post(BATCH, json={"customers": [{"id": "c1", "attributes": {"p": padding}}]})
    assert_problem(answer, 413)


def test_the_larger_limit_is_the_batch_route_s_alone(api: httpx.Client) -> None:
    assert_problem(api.put(BATCH, json={"attributes": {"p": "x" * 1024 * 1024}}), 413)


def test_a_body_over_the_single_write_limit_is_fine_in_a_batch(api: httpx.Client) -> None:
    items = [{"id": f"c{n}", "attributes": {"p": "x" * 900}} for n in range(1000)]
    assert {result["status"] for result in batch(api, *items)} == {201}


def test_a_read_only_key_is_refused(workspace: TestWorkspace) -> None:
    with workspace.client(workspace.key(["attributes:read"])) as reader:
        assert_problem(reader.post(BATCH, json={"customers": [{"id": "c1"}]}), 403)


def test_put_and_get_of_batch_still_mean_the_customer_batch(api: httpx.Client) -> None:
    assert api.put(BATCH, json={"attributes": {"n": 1}}).status_code == 201
    assert api.get(BATCH).json()["id"] == "batch"
    results = batch(api, {"id": "batch", "attributes": {"n": 2}})
    assert results[0]["status"] == 200


def test_a_request_takes_one_rate_limit_token_whatever_its_size(backend: LiveBackend) -> None:
    app = app_of(backend, rate_limit_per_second=0.01, rate_limit_burst=2)
    token = new_workspace(backend).token
    items = [{"id": f"c{n}"} for n in range(100)]

    async def send() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        headers = {"Authorization": f"Bearer {token}"}
        async with httpx.AsyncClient(
            transport=transport, base_url="http://test", headers=headers
        ) as client:
            return [await client.post(BATCH, json={"customers": items}) for _ in range(3)]

    answers = backend.run(send())
    assert [answer.status_code for answer in answers] == [200, 200, 429]
    assert answers[2].json()["type"] == "/problems/rate-limited"


def test_concurrent_batches_on_shared_customers_lose_nothing(workspace: TestWorkspace) -> None:
    """Eight batches of 300 writes at once, every one on the same 30 customers: the
    writer applies several requests per transaction, each customer written many times
    in one, and every write lands."""
    customers = [f"shared-{number}" for number in range(30)]
    writers = 8

    def items(writer: int) -> list[dict[str, Any]]:
        return [
            {"id": customer, "attributes": {f"w{writer}_{round_}": round_}}
            for round_ in range(10)
            for customer in customers
        ]

    async def send_all() -> list[httpx.Response]:
        headers = {"Authorization": f"Bearer {workspace.token}"}
        async with httpx.AsyncClient(
            base_url=workspace.backend.base_url, headers=headers, timeout=120
        ) as client:
            return await asyncio.gather(
                *(client.post(BATCH, json={"customers": items(w)}) for w in range(writers))
            )

    with workspace.client() as api:
        assert api.patch("/v1/workspace/settings", json={"max_attributes": 1000}).is_success
        answers = asyncio.run(send_all())
        for answer in answers:
            assert answer.status_code == 200, answer.text
            assert {result["status"] for result in answer.json()["results"]} <= {200, 201}
        for customer in customers:
            attributes = api.get(f"/v1/customers/{customer}").json()["attributes"]
            assert attributes == {
                f"w{writer}_{round_}": round_ for writer in range(writers) for round_ in range(10)
            }
