"""Batches in flight together (imports.flight): the next batch plans while one writes,
and the file's order still decides, as if the rows were applied one by one."""

import asyncio
from datetime import timedelta

import httpx
import pytest

from attrium.imports import apply
from attrium.imports.apply import RunnerConfig
from attrium.imports.flight import BatchTurn, InFlight
from tests.support.backends import LiveBackend
from tests.support.imports import ndjson, upload
from tests.support.workspaces import new_workspace


def _run(backend: LiveBackend, job_id: str, batch_rows: int) -> None:
    config = RunnerConfig("only", batch_rows=batch_rows, lease=timedelta(minutes=1))
    claimed = backend.run(apply.claim_next(backend.db, config))
    assert claimed is not None
    assert claimed["job_id"] == job_id
    backend.run(apply.run_job(backend.db, backend.settings, claimed, config))


def _attributes(api: httpx.Client, ref: str) -> dict[str, object]:
    answer = api.get(f"/v1/customers/{ref}")
    assert answer.status_code == 200, answer.text
    attributes: dict[str, object] = answer.json()["attributes"]
    return attributes


def test_a_later_row_wins_across_batches(idle_backend: LiveBackend) -> None:
    """Each customer is written in every batch, created by the first: the last row of
    the file is what stays, and every row counts once."""
    workspace = new_workspace(idle_backend)
    customers = [f"c{number}" for number in range(5)]
    rows = [
        {"id": ref, "attributes": {"n": step, "step_of_" + ref: step}}
        for step in range(8)
        for ref in customers
    ]
    with workspace.client() as api:
        api.put("/v1/customers/c0", json={"attributes": {"n": -1}})  # one exists already
        job_id = upload(api, ndjson(rows))["id"]
        _run(idle_backend, job_id, batch_rows=5)
        job = api.get(f"/v1/imports/{job_id}").json()
        assert (job["state"], job["rows_read"], job["applied"], job["rejected"]) == (
            "done",
            40,
            40,
            0,
        )
        for ref in customers:
            assert _attributes(api, ref) == {"n": 7, f"step_of_{ref}": 7}


def test_batches_that_need_several_rounds_finish(idle_backend: LiveBackend) -> None:
    """A batch writing one customer twice applies in rounds; the batch after it, which
    locks customers of those rounds, waits its turn rather than for ever."""
    workspace = new_workspace(idle_backend)
    rows = []
    for step in range(6):
        rows += [
            {"id": "twice", "attributes": {"n": step}},
            {"id": f"other{step % 2}", "attributes": {"n": step}},
            {"id": "twice", "email": f"twice{step}@example.com", "attributes": {"m": step}},
        ]
    with workspace.client() as api:
        job_id = upload(api, ndjson(rows))["id"]
        _run(idle_backend, job_id, batch_rows=3)
        job = api.get(f"/v1/imports/{job_id}").json()
        assert (job["state"], job["applied"], job["rejected"]) == ("done", 18, 0)
        twice = api.get("/v1/customers/twice").json()
        assert twice["attributes"] == {"n": 5, "m": 5}
        assert twice["email"] == "twice5@example.com"
        assert _attributes(api, "other1") == {"n": 5}


async def _batches(plans: list[tuple[str, float, bool]], committed: list[str]) -> None:
    """Batches that plan at once, take `delay` to write, maybe fail, and log their
    commit in `committed`: the order of the log is the order of commits."""

    async def batch(name: str, delay: float, fails: bool, turn: BatchTurn) -> None:
        turn.last_round_planned()
        await asyncio.sleep(delay)  # its SQL, while the next one plans
        if fails:
            raise RuntimeError(name)
        await turn.wait()
        committed.append(name)

    flight = InFlight(depth=2)
    try:
        for name, delay, fails in plans:
            turn = flight.next_turn()
            await flight.start(batch(name, delay, fails, turn), turn)
        await flight.finish()
    finally:
        await flight.cancel()


def test_batches_commit_in_order_however_long_each_takes() -> None:
    plans = [("first", 0.05, False), ("second", 0.0, False), ("third", 0.01, False)]
    committed: list[str] = []
    asyncio.run(_batches(plans, committed))
    assert committed == ["first", "second", "third"]


def test_a_failed_batch_stops_the_one_behind_it() -> None:
    committed: list[str] = []
    with pytest.raises(RuntimeError, match="first"):
        asyncio.run(_batches([("first", 0.05, True), ("second", 0.0, False)], committed))
    assert committed == []
