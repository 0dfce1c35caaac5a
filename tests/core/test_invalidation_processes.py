"""Two `attrium serve` processes on one database: what one changes, the other stops using.

A change made through one process applies to its very next request, and to every
request that the other process receives more than `STALE_AFTER_SECONDS` after the
change was answered (core.invalidation). That bound holds however loaded the machine
is: a request sent later is handled later still, so the tests check it on each answer
rather than by timing anything, and wait for the change with a generous deadline.
"""

import asyncio
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import asyncpg
import httpx
import pytest

from attrium.core.invalidation import STALE_AFTER_SECONDS
from tests.support.backends import BACKEND_NAMES, postgres_url
from tests.support.processes import Deployment, ServerProcess, deployment

WAIT_SECONDS = 60  # for a loaded machine; the bound itself is checked answer by answer
NOT_YET = (200, 201)


@dataclass
class Pair:
    target: Deployment
    first: ServerProcess
    second: ServerProcess

    def clients(self, name: str) -> tuple[httpx.Client, httpx.Client]:
        """Clients of each process, with an all-scopes key of a new workspace."""
        headers = {"Authorization": f"Bearer {self.target.provision(name)}"}
        return (
            httpx.Client(base_url=self.first.base_url, headers=headers, timeout=30),
            httpx.Client(base_url=self.second.base_url, headers=headers, timeout=30),
        )


@pytest.fixture(scope="module", params=BACKEND_NAMES)
def pair(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Pair]:
    target = deployment(request.param, tmp_path_factory.mktemp(f"pair-{request.param}"))
    try:
        target.provision("first-start")  # migrated before the servers start
        yield Pair(target, target.start(), target.start())
    finally:
        target.close()


def until_answered(
    send: Callable[[], httpx.Response], changed_at: float, status: int, allowed: tuple[int, ...]
) -> httpx.Response:
    """Send until the answer is `status`; before that, only `allowed` answers, and only to
    requests sent within STALE_AFTER_SECONDS of `changed_at`."""
    deadline = changed_at + WAIT_SECONDS
    while True:
        sent_at = time.monotonic()
        answer = send()
        if answer.status_code == status:
            return answer
        assert answer.status_code in allowed, answer.text
        if answer.status_code in NOT_YET:
            late = sent_at - changed_at
            assert late <= STALE_AFTER_SECONDS, f"answered from memory {late:.3f} s after"
        assert time.monotonic() < deadline, f"still {answer.status_code}: {answer.text}"
        time.sleep(0.02)


def test_a_revoked_key_is_refused_here_at_once_and_there_within_a_second(pair: Pair) -> None:
    first, second = pair.clients("revoked")
    with first, second:
        created = first.post("/v1/keys", json={"label": "temporary"}).json()
        temporary = {"Authorization": f"Bearer {created['token']}"}
        assert second.get("/v1/customers", headers=temporary).status_code == 200
        assert first.get("/v1/customers", headers=temporary).status_code == 200
        assert first.delete(f"/v1/keys/{created['id']}").status_code == 204
        changed_at = time.monotonic()
        assert first.get("/v1/customers", headers=temporary).status_code == 401
        until_answered(
            lambda: second.get("/v1/customers", headers=temporary), changed_at, 401, NOT_YET
        )


def test_a_key_revoked_by_the_command_line_is_refused_by_every_server(pair: Pair) -> None:
    first, second = pair.clients("revoked-by-cli")
    with first, second:
        created = first.post("/v1/keys", json={"label": "temporary"}).json()
        temporary = {"Authorization": f"Bearer {created['token']}"}
        for client in (first, second):
            assert client.get("/v1/customers", headers=temporary).status_code == 200
        command = [sys.executable, "-m", "attrium", "keys", "revoke", created["id"]]
        subprocess.run(command, env=pair.target.env, check=True, capture_output=True)
        changed_at = time.monotonic()
        for client in (first, second):
            listing = partial(client.get, "/v1/customers", headers=temporary)
            until_answered(listing, changed_at, 401, NOT_YET)


def test_an_attribute_declared_enum_there_refuses_other_values_here(pair: Pair) -> None:
    first, second = pair.clients("enum")
    with first, second:
        assert second.put("/v1/customers/c1", json={"attributes": {"tier": "gold"}}).is_success
        assert second.patch("/v1/customers/c1/attributes", json={"tier": "gold"}).is_success
        assert first.delete("/v1/attributes/tier", params={"purge": "true"}).status_code == 204
        enum = {"name": "tier", "type": "enum", "enum_values": ["gold", "silver"]}
        assert first.post("/v1/attributes", json=enum).status_code == 201
        changed_at = time.monotonic()
        bronze = {"tier": "bronze"}
        assert first.patch("/v1/customers/c1/attributes", json=bronze).status_code == 422
        until_answered(
            lambda: second.patch("/v1/customers/c1/attributes", json=bronze),
            changed_at,
            422,
            NOT_YET,
        )


def test_a_setting_changed_there_applies_here(pair: Pair) -> None:
    first, second = pair.clients("setting")
    with first, second:
        long_note = {"note": "x" * 100}
        assert second.put("/v1/customers/c1", json={"attributes": long_note}).is_success
        assert second.patch("/v1/customers/c1/attributes", json=long_note).is_success
        limited = {"max_string_bytes": 10}
        assert first.patch("/v1/workspace/settings", json=limited).is_success
        changed_at = time.monotonic()
        assert first.patch("/v1/customers/c1/attributes", json=long_note).status_code == 422
        until_answered(
            lambda: second.patch("/v1/customers/c1/attributes", json=long_note),
            changed_at,
            422,
            NOT_YET,
        )


@pytest.fixture
def own_postgres_database(tmp_path: Path) -> Iterator[Deployment]:
    """Two processes on a PostgreSQL database of their own, whose connections a test may cut."""
    if "postgresql" not in BACKEND_NAMES:
        pytest.skip("PostgreSQL is not among the test backends")
    name = f"cut_{tmp_path.name.lower()}_{time.monotonic_ns() % 10**9}"
    target = deployment("postgresql", tmp_path)
    drop_schema = target.env.pop("ATTRIUM_DATABASE_SCHEMA")
    assert drop_schema
    target.env["ATTRIUM_DATABASE_URL"] = f"{postgres_url().rsplit('/', 1)[0]}/{name}"
    asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
    try:
        yield target
    finally:
        target.close()
        asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def _admin(statement: str, *arguments: str) -> None:
    connection = await asyncpg.connect(postgres_url())
    try:
        await connection.execute(statement, *arguments)
    finally:
        await connection.close()


def test_caches_stay_correct_when_database_connections_are_lost(
    own_postgres_database: Deployment,
) -> None:
    """As after a database restart: every connection of both processes is cut."""
    target = own_postgres_database
    headers = {"Authorization": f"Bearer {target.provision('cut')}"}
    servers = [target.start(), target.start()]
    first, second = (
        httpx.Client(base_url=server.base_url, headers=headers, timeout=30) for server in servers
    )
    with first, second:
        created = first.post("/v1/keys", json={"label": "temporary"}).json()
        temporary = {"Authorization": f"Bearer {created['token']}"}
        assert second.get("/v1/customers", headers=temporary).status_code == 200
        database = target.env["ATTRIUM_DATABASE_URL"].rsplit("/", 1)[1]
        cut_at = time.time()
        asyncio.run(
            _admin(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = $1 AND pid <> pg_backend_pid()",
                database,
            )
        )
        revoked = until_answered(
            lambda: first.delete(f"/v1/keys/{created['id']}"), time.monotonic(), 204, (500, 503)
        )
        assert revoked.status_code == 204
        changed_at = time.monotonic()
        until_answered(
            lambda: second.get("/v1/customers", headers=temporary),
            changed_at,
            401,
            (*NOT_YET, 500, 503),
        )
        for client in (first, second):
            wait_for_a_poll_after(client, cut_at)


def wait_for_a_poll_after(client: httpx.Client, unix_time: float) -> None:
    """The process's poller reconnected: it polled successfully since `unix_time`."""
    deadline = time.monotonic() + WAIT_SECONDS
    while polled_at(client) <= unix_time:
        assert time.monotonic() < deadline, "no poll of workspace versions since the cut"
        time.sleep(0.1)


def polled_at(client: httpx.Client) -> float:
    for line in client.get("/metrics").text.splitlines():
        if line.startswith("attrium_workspace_versions_polled_seconds "):
            return float(line.split()[1])
    raise AssertionError("no attrium_workspace_versions_polled_seconds in /metrics")
