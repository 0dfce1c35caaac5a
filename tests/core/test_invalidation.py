"""What a process knows of workspace versions (core.invalidation) and when it learns it."""

import asyncio
import time
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncConnection

from attrium.core.database import Database, after_commit
from attrium.core.invalidation import STALE_AFTER_SECONDS, Poller, Versions
from attrium.core.settings import Settings
from tests.support.backends import LiveBackend

WAIT_SECONDS = 60  # for a poller on a loaded machine; nothing here asserts a duration


class StillClock:
    def __init__(self) -> None:
        self.now = 50.0

    def __call__(self) -> float:
        return self.now


def test_nothing_is_current_before_the_first_poll() -> None:
    versions = Versions(StillClock())
    versions.observe("w1", 3)
    assert versions.current("w1") is None
    versions.polled({"w1": 3}, started_at=50.0)
    assert versions.current("w1") == 3


def test_versions_are_not_trusted_a_second_after_the_newest_poll_started() -> None:
    clock = StillClock()
    versions = Versions(clock)
    versions.polled({"w1": 3}, started_at=clock.now)
    clock.now += STALE_AFTER_SECONDS
    assert versions.current("w1") == 3
    clock.now += 0.001
    assert versions.current("w1") is None
    versions.polled({"w1": 3}, started_at=clock.now - 0.5)
    assert versions.current("w1") == 3


def test_a_poll_that_started_before_a_local_commit_does_not_take_it_back() -> None:
    clock = StillClock()
    versions = Versions(clock)
    versions.polled({"w1": 3}, started_at=clock.now)
    versions.observe("w1", 4)  # committed here while the next poll was reading
    versions.polled({"w1": 3, "w2": 0}, started_at=clock.now)
    assert (versions.current("w1"), versions.current("w2")) == (4, 0)


def test_a_workspace_gone_from_the_poll_is_forgotten() -> None:
    versions = Versions(StillClock())
    versions.polled({"w1": 3, "w2": 1}, started_at=50.0)
    versions.polled({"w1": 3}, started_at=50.0)
    assert versions.current("w2") is None


def test_the_epoch_grows_only_when_a_version_grows() -> None:
    versions = Versions(StillClock())
    versions.polled({"w1": 3}, started_at=50.0)
    epoch = versions.epoch
    versions.polled({"w1": 3}, started_at=50.0)
    versions.observe("w1", 2)
    assert versions.epoch == epoch
    versions.observe("w1", 4)
    assert versions.epoch > epoch
    epoch = versions.epoch
    versions.polled({"w1": 4, "w3": 0}, started_at=50.0)
    assert versions.epoch > epoch


def test_after_commit_runs_on_commit_only(backend: LiveBackend) -> None:
    seen: list[str] = []

    async def rolled_back() -> None:
        async with backend.db.transaction():
            after_commit(lambda db: seen.append("rolled back"))
            raise LookupError

    async def scenario() -> None:
        async with backend.db.transaction():
            after_commit(lambda db: seen.append("committed"))
            assert seen == []
        with pytest.raises(LookupError):
            await rolled_back()

    backend.run(scenario())
    assert seen == ["committed"]


def test_after_commit_needs_a_transaction() -> None:
    with pytest.raises(RuntimeError):
        after_commit(lambda db: None)


def test_the_poller_outlives_failed_reads(tmp_path: Path) -> None:
    failures = 3

    async def read_versions(connection: AsyncConnection) -> dict[str, int]:
        nonlocal failures
        if failures:
            failures -= 1
            raise OSError("the database restarts")
        return {"w1": 7}

    async def scenario() -> int | None:
        db = Database(Settings(database_url=f"sqlite:///{tmp_path / 'poll.db'}"))
        poller = Poller(db, read_versions)
        await poller.start()  # the first read fails: logged, not raised
        deadline = time.monotonic() + WAIT_SECONDS
        found = db.versions.current("w1")
        while found is None and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
            found = db.versions.current("w1")
        await poller.stop()
        await db.dispose()
        return found

    assert asyncio.run(scenario()) == 7
    assert failures == 0
