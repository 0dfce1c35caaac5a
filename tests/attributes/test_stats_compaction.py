"""Compaction folds the statistics' deltas into their totals and changes no total.

The server here runs no background compaction: the tests compact when they choose.
"""

import random
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from attrium.attributes import stats
from attrium.attributes.stats_store import attribute_stat_deltas
from tests.attributes.test_stats import counts, held
from tests.support.backends import BACKEND_NAMES, LiveBackend, start_backend
from tests.support.workspaces import TestWorkspace, new_workspace


@pytest.fixture(scope="module", params=BACKEND_NAMES)
def quiet_backend(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveBackend]:
    folder = Path(tmp_path_factory.mktemp(f"quiet-{request.param}"))
    live = start_backend(request.param, folder, stats_compact_seconds=0, database_pool_size=4)
    yield live
    live.stop()


def read(workspace: TestWorkspace) -> dict[str, stats.AttributeStats]:
    async def reading() -> dict[str, stats.AttributeStats]:
        async with workspace.backend.db.reader() as connection:
            return await stats.read(connection, workspace.workspace.workspace_id)

    return workspace.backend.run(reading())


def pending_deltas(workspace: TestWorkspace) -> int:
    async def counting() -> int:
        query = (
            select(func.count())
            .select_from(attribute_stat_deltas)
            .where(attribute_stat_deltas.c.workspace_id == workspace.workspace.workspace_id)
        )
        async with workspace.backend.db.reader() as connection:
            return int((await connection.execute(query)).scalar_one())

    return workspace.backend.run(counting())


def compact(backend: LiveBackend, batch_rows: int = stats.COMPACT_BATCH_ROWS) -> int:
    return backend.run(stats.compact(backend.db, batch_rows))


def test_compaction_keeps_the_totals(quiet_backend: LiveBackend) -> None:
    workspace = new_workspace(quiet_backend)
    with workspace.client() as api:
        for number in range(5):
            api.put(f"/v1/customers/c{number}", json={"attributes": {"plan": "pro", "n": number}})
        api.patch("/v1/customers/c1/attributes", json={"plan": None})
        api.delete("/v1/customers/c2")
        before = read(workspace)
        assert pending_deltas(workspace) > 0
        assert compact(quiet_backend, batch_rows=3) >= 3
        assert pending_deltas(workspace) == 0
        assert read(workspace) == before
        api.patch("/v1/customers/c3/attributes", json={"plan": "free", "city": "Rome"})
        api.delete("/v1/customers/c4")
        after_more = read(workspace)
        compact(quiet_backend)
        assert read(workspace) == after_more
        assert after_more["plan"].last_write != before["plan"].last_write
        assert counts(api) == held(api) == {"plan": 2, "n": 3, "city": 1}


def test_compaction_alongside_writers(quiet_backend: LiveBackend) -> None:
    workspace = new_workspace(quiet_backend)
    writing = threading.Event()
    writing.set()

    def write(writer: int) -> None:
        rng = random.Random(writer)
        with workspace.client() as api:
            for _ in range(15):
                customer = f"c{rng.randint(0, 4)}"
                patch = {name: rng.choice([None, "x", "y"]) for name in ("plan", "city")}
                answer = api.put(f"/v1/customers/{customer}", json={"attributes": patch})
                assert answer.status_code in (200, 201), answer.text

    def compact_while_writing() -> None:
        while writing.is_set():
            compact(quiet_backend)

    compactor = threading.Thread(target=compact_while_writing)
    compactor.start()
    try:
        with ThreadPoolExecutor(max_workers=4) as pool:
            list(pool.map(write, range(4)))
    finally:
        writing.clear()
        compactor.join()
    compact(quiet_backend)
    assert pending_deltas(workspace) == 0
    with workspace.client() as api:
        assert counts(api) == held(api)


def test_writers_and_compaction_never_wait_for_each_other(quiet_backend: LiveBackend) -> None:
    """Two open write transactions record the same attribute while a compaction runs.

    Any wait for a lock fails at once (`lock_timeout`), so a design where writers share
    a row (a counter per attribute) fails here. SQLite has one writer at a time anyway.
    """
    if quiet_backend.name == "sqlite":
        pytest.skip("SQLite runs one write transaction at a time")
    workspace = new_workspace(quiet_backend)
    db, actor = quiet_backend.db, workspace.actor

    async def overlapping() -> None:
        async with db.transaction() as first, db.transaction() as second:
            for connection in (first, second):
                await connection.execute(text("SET LOCAL lock_timeout = '1ms'"))
                await stats.record(connection, actor, stats.changes_of([({}, {"plan": "x"})]))
            await stats.compact(db)

    quiet_backend.run(overlapping())
    compact(quiet_backend)
    assert read(workspace)["plan"].holders == 2
