"""Two `attrium serve` processes on one PostgreSQL database, written to concurrently.

What one process remembers must not weaken a rule: concurrent patches through both
processes lose nothing. How soon a key revoked, a definition or a setting changed
through one process applies on the other: tests/core/test_invalidation_processes.py.
"""

import asyncio
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from attrium.auth import service as keys
from attrium.core.database import Database
from attrium.core.migrate import migrate
from attrium.workspaces import service as workspaces
from tests.support.backends import BACKEND_NAMES, drop_schema, settings_for

WRITERS = 12
ROUNDS = 4
CUSTOMERS = ("shared-1", "shared-2", "shared-3")

pytestmark = pytest.mark.skipif(
    "postgresql" not in BACKEND_NAMES, reason="two processes share a PostgreSQL database"
)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _wait_ready(base_url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"attrium serve exited with {process.returncode}")
        try:
            if httpx.get(f"{base_url}/readyz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    pytest.fail("attrium serve did not become ready")


@pytest.fixture
def two_servers(tmp_path: Path) -> Iterator[tuple[list[str], str]]:
    """Two server processes on one schema, and an all-scopes key of a fresh workspace."""
    settings = settings_for("postgresql", tmp_path, database_pool_size=4)

    async def provision() -> str:
        db = Database(settings)
        try:
            await migrate(db)
            workspace = await workspaces.create(db, "two-processes")
            return (await keys.create_key(db, workspace))[1]
        finally:
            await db.dispose()

    token = asyncio.run(provision())
    env = {key: value for key, value in os.environ.items() if not key.startswith("ATTRIUM_")}
    env |= {
        "ATTRIUM_DATABASE_URL": settings.database_url,
        "ATTRIUM_DATABASE_SCHEMA": settings.database_schema or "",
        "ATTRIUM_DATABASE_POOL_SIZE": "4",
    }
    processes, urls = [], []
    try:
        for _ in range(2):
            port = _free_port()
            command = [sys.executable, "-m", "attrium", "serve", "--port", str(port)]
            process = subprocess.Popen(
                command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            )
            processes.append(process)
            urls.append(f"http://127.0.0.1:{port}")
            _wait_ready(urls[-1], process)
        yield urls, token
    finally:
        for process in processes:
            process.terminate()
            process.wait(timeout=30)
        drop_schema(settings.database_schema or "")


async def _write_all(urls: list[str], token: str) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    clients = [httpx.AsyncClient(base_url=url, headers=headers, timeout=60) for url in urls]

    async def writer(number: int) -> None:
        for round_number in range(1, ROUNDS + 1):
            for customer in CUSTOMERS:
                client = clients[(number + round_number) % 2]
                answer = await client.patch(
                    f"/v1/customers/{customer}/attributes", json={f"w{number}": round_number}
                )
                assert answer.status_code == 200, answer.text

    try:
        await asyncio.gather(*(writer(number) for number in range(WRITERS)))
    finally:
        for client in clients:
            await client.aclose()


def test_concurrent_patches_through_two_processes_lose_nothing(
    two_servers: tuple[list[str], str],
) -> None:
    urls, token = two_servers
    headers = {"Authorization": f"Bearer {token}"}
    for customer in CUSTOMERS:
        answer = httpx.put(f"{urls[0]}/v1/customers/{customer}", json={}, headers=headers)
        assert answer.status_code == 201, answer.text
    asyncio.run(_write_all(urls, token))
    expected = {f"w{number}": ROUNDS for number in range(WRITERS)}
    for customer in CUSTOMERS:
        stored = httpx.get(f"{urls[1]}/v1/customers/{customer}", headers=headers).json()
        assert stored["attributes"] == expected
        history = httpx.get(
            f"{urls[0]}/v1/customers/{customer}/activity?limit=1000", headers=headers
        ).json()["items"]
        writes = [item for item in history if item["type"] == "customer_updated"]
        assert len(writes) == WRITERS * ROUNDS
