"""API keys and catalogs answered from memory (auth.cache, attributes.cache), on both backends.

Each test opens its own `Database` on the backend's storage, standing for one server
process whose clock stands still unless the test moves it: what it knows is trusted
exactly as long as core.invalidation says, without depending on how fast the machine
is. The live server's `backend.db` stands for another process changing things.
"""

from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import pytest
from sqlalchemy import event

from attrium.attributes.cache import current_catalog
from attrium.auth import service as keys
from attrium.core.database import Database
from attrium.core.errors import Unauthenticated
from attrium.core.invalidation import STALE_AFTER_SECONDS, Versions
from attrium.workspaces import service as workspaces
from attrium.workspaces.service import version_poller
from tests.support.workspaces import TestWorkspace

Result = TypeVar("Result")


class StillClock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


class Process:
    """A database of its own on the backend's storage, with a still clock and a statement log."""

    def __init__(self, workspace: TestWorkspace) -> None:
        self.clock = StillClock()
        self.db = Database(workspace.backend.settings)
        self.db.versions = Versions(self.clock)
        self.statements: list[str] = []
        event.listen(self.db.engine.sync_engine, "before_cursor_execute", self._log)

    def _log(self, _connection: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        self.statements.append(statement)

    async def poll(self) -> None:
        await version_poller(self.db).poll()

    async def reads_of(self, table: str, work: Awaitable[Result]) -> tuple[int, Result]:
        """How many statements `work` sent that name `table`, and its result."""
        before = len(self.statements)
        result = await work
        return sum(table in text for text in self.statements[before:]), result


@pytest.fixture
def process(workspace: TestWorkspace) -> Iterator[Process]:
    opened = Process(workspace)
    yield opened
    workspace.backend.run(opened.db.dispose())


@contextmanager
def refused() -> Iterator[None]:
    with pytest.raises(Unauthenticated):
        yield


def on_backend(workspace: TestWorkspace, scenario: Callable[[], Awaitable[None]]) -> None:
    workspace.backend.run(scenario())


def test_a_live_key_and_its_catalog_are_read_once(
    workspace: TestWorkspace, process: Process
) -> None:
    async def scenario() -> None:
        await process.poll()
        reads, actor = await process.reads_of("api_keys", keys.authenticate(process.db, token))
        assert reads == 1
        reads, again = await process.reads_of("api_keys", keys.authenticate(process.db, token))
        assert (reads, again) == (0, actor)
        for expected_reads in (1, 0):
            async with process.db.reader() as connection:
                reads, _ = await process.reads_of(
                    "attribute_definitions", current_catalog(connection, again, "customer")
                )
            assert reads == expected_reads

    token = workspace.token
    on_backend(workspace, scenario)


def test_a_key_revoked_here_is_refused_at_once(workspace: TestWorkspace, process: Process) -> None:
    async def scenario() -> None:
        await process.poll()
        actor = await keys.authenticate(process.db, token)
        await keys.revoke_key(process.db, actor.key_id or "")
        with refused():
            await keys.authenticate(process.db, token)

    token = workspace.key(["attributes:read"])
    on_backend(workspace, scenario)


def test_a_key_revoked_elsewhere_is_refused_once_polled(
    workspace: TestWorkspace, process: Process
) -> None:
    elsewhere = workspace.backend.db

    async def scenario() -> None:
        await process.poll()
        actor = await keys.authenticate(process.db, token)
        await keys.revoke_key(elsewhere, actor.key_id or "")
        # Not polled since: the revocation is unknown here, within the second allowed.
        assert await keys.authenticate(process.db, token) == actor
        await process.poll()
        with refused():
            await keys.authenticate(process.db, token)

    token = workspace.key(["attributes:read"])
    on_backend(workspace, scenario)


def test_nothing_known_is_used_when_no_poll_started_within_the_second(
    workspace: TestWorkspace, process: Process
) -> None:
    elsewhere = workspace.backend.db

    async def scenario() -> None:
        await process.poll()
        actor = await keys.authenticate(process.db, token)
        await keys.revoke_key(elsewhere, actor.key_id or "")
        process.clock.now += STALE_AFTER_SECONDS + 0.001
        with refused():
            await keys.authenticate(process.db, token)

    token = workspace.key(["attributes:read"])
    on_backend(workspace, scenario)


def test_an_unknown_token_is_remembered_until_a_key_is_created(
    workspace: TestWorkspace, process: Process
) -> None:
    elsewhere = workspace.backend.db

    async def attempt() -> int:
        reads, _ = await process.reads_of("api_keys", refuse(keys.authenticate(process.db, token)))
        return reads

    async def scenario() -> None:
        await process.poll()
        assert [await attempt(), await attempt()] == [1, 0]
        await keys.create_key(elsewhere, workspace.workspace)
        assert await attempt() == 0  # not polled since
        await process.poll()
        assert await attempt() == 1

    token = "atr_" + "x" * 43
    on_backend(workspace, scenario)


def test_a_setting_changed_here_applies_at_once(workspace: TestWorkspace, process: Process) -> None:
    async def scenario() -> None:
        await process.poll()
        actor = await keys.authenticate(process.db, workspace.token)
        await workspaces.update_settings(process.db, actor, {"max_string_bytes": 10})
        changed = await keys.authenticate(process.db, workspace.token)
        assert changed.workspace.overrides == {"max_string_bytes": 10}

    on_backend(workspace, scenario)


async def refuse(work: Awaitable[Any]) -> None:
    with refused():
        await work
