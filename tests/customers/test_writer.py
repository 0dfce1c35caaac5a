"""Group commit: concurrent writes share a transaction, each answered alone.

The writes are started together on the server's event loop: the first goes alone, the
others queue behind it and are applied as one batch when it ends.
"""

import asyncio
from collections import deque
from contextlib import suppress
from typing import Any

import httpx
import pytest

from attrium.core.errors import AttriumError, NotFound, ValidationFailed
from attrium.customers import service
from attrium.customers.batches import BatchWrite
from attrium.customers.identity import CustomerRef, IdentifierKind
from attrium.customers.models import CustomerWrite
from attrium.customers.service import native_options
from attrium.customers.writer import Writer, _Request
from tests.support.activity import activity_of
from tests.support.workspaces import TestWorkspace


def patch_of(customer: str, patch: dict[str, Any]) -> BatchWrite:
    ref = CustomerRef(IdentifierKind.ID, customer)
    return BatchWrite(ref, CustomerWrite(attributes=patch, update_only=True))


def patches(
    workspace: TestWorkspace, writes: list[tuple[str, dict[str, Any]]], per_group: int = 1
) -> list[dict[str, Any] | AttriumError]:
    """Run the writes concurrently through one writer; each one's attributes or error."""
    backend = workspace.backend
    actor = workspace.actor
    options = native_options(actor, backend.settings)
    writer = Writer(backend.db, 2, per_group)

    async def one(customer: str, patch: dict[str, Any]) -> dict[str, Any] | AttriumError:
        [result] = await writer.apply(actor, [patch_of(customer, patch)], options)
        return result if isinstance(result, AttriumError) else result.customer.attributes

    async def every() -> list[dict[str, Any] | AttriumError]:
        return await asyncio.gather(*(one(customer, patch) for customer, patch in writes))

    return backend.run(every())


def test_concurrent_writes_apply_and_answer_each_its_own(
    api: httpx.Client, workspace: TestWorkspace
) -> None:
    for number in range(6):
        api.put(f"/v1/customers/c{number}", json={"attributes": {"n": number}})
    answers = patches(workspace, [(f"c{number}", {"score": number * 10}) for number in range(6)])
    assert answers == [{"n": number, "score": number * 10} for number in range(6)]
    for number in range(6):
        assert api.get(f"/v1/customers/c{number}").json()["attributes"]["score"] == number * 10
        changes = [e for e in activity_of(api, f"c{number}") if e["type"] == "customer_updated"]
        assert changes[0]["changes"] == {"attributes": {"score": {"old": None, "new": number * 10}}}
        assert changes[0]["key_id"] == workspace.actor.key_id


def test_a_refused_write_fails_alone_and_is_recorded_on_its_customer(
    api: httpx.Client, workspace: TestWorkspace
) -> None:
    for number in range(4):
        api.put(f"/v1/customers/c{number}", json={"attributes": {"age": 30}})
    answers = patches(
        workspace,
        [
            ("c0", {"age": 31}),
            ("c1", {"age": 32}),
            ("c2", {"age": "old"}),
            ("nobody", {"age": 33}),
            ("c3", {"age": 34}),
        ],
    )
    assert answers[:2] == [{"age": 31}, {"age": 32}]
    assert isinstance(answers[2], ValidationFailed)
    assert isinstance(answers[3], NotFound)
    assert answers[4] == {"age": 34}
    assert api.get("/v1/customers/c2").json()["attributes"] == {"age": 30}
    rejected = [e for e in activity_of(api, "c2") if e["type"] == "write_rejected"]
    assert len(rejected) == 1
    assert "type number" in str(rejected[0]["reason"])


def test_writes_to_one_customer_lose_nothing_and_answer_in_order(
    api: httpx.Client, workspace: TestWorkspace
) -> None:
    api.put("/v1/customers/c1", json={})
    answers = patches(workspace, [("c1", {f"k{number}": number}) for number in range(5)])
    assert answers == [{f"k{n}": n for n in range(number + 1)} for number in range(5)]
    assert api.get("/v1/customers/c1").json()["attributes"] == {f"k{n}": n for n in range(5)}


def test_two_transactions_of_a_group_on_shared_customers_lose_nothing(
    api: httpx.Client, workspace: TestWorkspace
) -> None:
    """With two transactions under way per group (PostgreSQL's writer), writes to the same
    customers wait for each other's row locks: every one lands, none is lost."""
    customers = ("c1", "c2", "c3")
    for customer in customers:
        api.put(f"/v1/customers/{customer}", json={})
    writes = [(customers[number % 3], {f"k{number}": number}) for number in range(30)]
    answers = patches(workspace, writes, per_group=2)
    for (_, patch), answer in zip(writes, answers, strict=True):
        assert isinstance(answer, dict)
        assert patch.items() <= answer.items()
    for index, customer in enumerate(customers):
        stored = api.get(f"/v1/customers/{customer}").json()["attributes"]
        assert stored == {f"k{n}": n for n in range(index, 30, 3)}


def test_new_attributes_of_a_batch_enter_the_catalog_once(
    api: httpx.Client, workspace: TestWorkspace
) -> None:
    for number in range(4):
        api.put(f"/v1/customers/c{number}", json={})
    answers = patches(workspace, [(f"c{number}", {"tier": "gold"}) for number in range(4)])
    assert answers == [{"tier": "gold"}] * 4
    catalog = api.get("/v1/attributes").json()["items"]
    assert [(item["name"], item["type"]) for item in catalog] == [("tier", "string")]


@pytest.mark.parametrize("patch", [{"plan": "pro"}, {"plan": None}])
def test_the_route_answers_through_the_writer(
    api: httpx.Client, workspace: TestWorkspace, patch: dict[str, Any]
) -> None:
    api.put("/v1/customers/c1", json={"attributes": {"plan": "free"}})

    async def burst() -> list[httpx.Response]:
        headers = {"Authorization": f"Bearer {workspace.token}"}
        async with httpx.AsyncClient(
            base_url=workspace.backend.base_url, headers=headers, timeout=60
        ) as client:
            return await asyncio.gather(
                *(client.patch("/v1/customers/c1/attributes", json=patch) for _ in range(8))
            )

    answers = asyncio.run(burst())
    assert [answer.status_code for answer in answers] == [200] * 8
    expected = {name: value for name, value in patch.items() if value is not None}
    assert all(answer.json()["attributes"] == expected for answer in answers)


def test_writes_alone_and_batched_agree(api: httpx.Client, workspace: TestWorkspace) -> None:
    """The same writes, alone and batched, leave the same customers and activity."""
    for prefix in ("alone", "batched"):
        for number in range(3):
            api.put(f"/v1/customers/{prefix}{number}", json={"attributes": {"a": 1, "b": 2}})
    writes: list[dict[str, Any]] = [{"a": 5}, {"b": None, "c": "x"}, {"a": 1}]
    backend = workspace.backend
    options = native_options(workspace.actor, backend.settings)
    for number, patch in enumerate(writes):
        ref = CustomerRef(IdentifierKind.ID, f"alone{number}")
        write = CustomerWrite(attributes=patch, update_only=True)
        backend.run(service.upsert(backend.db, workspace.actor, ref, write, options))
    patches(workspace, [(f"batched{number}", patch) for number, patch in enumerate(writes)])

    def seen(customer: str) -> tuple[Any, list[tuple[Any, ...]]]:
        attributes = api.get(f"/v1/customers/{customer}").json()["attributes"]
        entries = [
            (e["type"], e["changes"]["attributes"], e["key_id"], e["source"])
            for e in activity_of(api, customer)
        ]
        return attributes, entries

    for number in range(3):
        assert seen(f"alone{number}") == seen(f"batched{number}")


def test_a_write_whose_caller_went_away_is_skipped(
    api: httpx.Client, workspace: TestWorkspace
) -> None:
    """A queued write whose client went away is dropped, and the writer goes on.

    Otherwise a turn could be held for nobody, and with one turn every later write
    would queue forever.
    """
    api.put("/v1/customers/c1", json={})
    backend = workspace.backend
    actor = workspace.actor
    options = native_options(actor, backend.settings)
    writer = Writer(backend.db, 1)

    async def scenario() -> dict[str, Any]:
        writer._under_way = 1  # a transaction under way takes the only place: the next waits
        queued = asyncio.create_task(writer.apply(actor, [patch_of("c1", {"n": 1})], options))
        await asyncio.sleep(0)
        queued.cancel()  # its client goes away
        with suppress(asyncio.CancelledError):
            await queued
        writer._under_way = 0  # the transaction ends
        later = writer.apply(actor, [patch_of("c1", {"n": 2})], options)
        [result] = await asyncio.wait_for(later, 30)
        assert not isinstance(result, AttriumError)
        return result.customer.attributes

    assert backend.run(scenario()) == {"n": 2}
    assert writer._under_way == 0
    assert api.get("/v1/customers/c1").json()["attributes"] == {"n": 2}


def test_a_second_transaction_of_a_group_takes_only_updates(workspace: TestWorkspace) -> None:
    """Two transactions creating the same new customer would fail one whole: writes that
    may create wait for the transaction under way; updates may go beside it."""
    backend = workspace.backend
    actor = workspace.actor
    options = native_options(actor, backend.settings)
    writer = Writer(backend.db, 2, 2)

    async def room_for(write: CustomerWrite) -> bool:
        loop = asyncio.get_running_loop()
        request = _Request(actor, options, [BatchWrite(REF, write)], None, loop.create_future())
        writer._queues[request.group] = deque([request])
        writer._under_way_in[request.group] = 1  # a transaction of the group under way
        return writer._has_room(request.group)

    assert backend.run(room_for(CustomerWrite(attributes={"n": 1}, update_only=True)))
    assert not backend.run(room_for(CustomerWrite(attributes={"n": 1})))


REF = CustomerRef(IdentifierKind.ID, "c1")
