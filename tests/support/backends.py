"""Live servers for tests, one per backend and test process."""

import asyncio
import os
import shutil
import subprocess
import threading
import time
from collections.abc import Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
import pytest
import uvicorn

from attrium.app import create_app
from attrium.core.database import Database
from attrium.core.migrate import migrate
from attrium.core.serving import uvicorn_options
from attrium.core.settings import Settings

START_TIMEOUT_SECONDS = 90  # a loaded 2-core machine can take long to import and migrate

Result = TypeVar("Result")

DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"
BACKEND_NAMES = [
    name.strip()
    for name in os.environ.get("ATTRIUM_TEST_BACKENDS", "sqlite,postgresql").split(",")
    if name.strip()
]


def postgres_url() -> str:
    return os.environ.get("ATTRIUM_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL)


def worker_name() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


@dataclass
class LiveBackend:
    name: str
    settings: Settings
    db: Database
    base_url: str
    loop: asyncio.AbstractEventLoop
    server: uvicorn.Server
    thread: threading.Thread

    def run(self, coroutine: Coroutine[Any, Any, Result]) -> Result:
        """Run a coroutine on the server's event loop (where its database lives)."""
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout=60)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        if self.settings.database_schema:
            drop_schema(self.settings.database_schema)


# Every rate limit, the native one, each dialect's own, and the failed-authentication
# budget (tests send many unknown keys from 127.0.0.1; tests/auth/test_guessing.py
# turns it on).
RATE_LIMITS = (
    "rate_limit_per_second",
    "attentive_rate_limit_per_second",
    "optimove_rate_limit_per_second",
    "auth_failures_per_second",
)


def settings_for(name: str, folder: Path, **overrides: Any) -> Settings:
    # Tests share one key per workspace at full speed; only the rate-limit tests limit.
    for limit in RATE_LIMITS:
        overrides.setdefault(limit, 0)
    # PostgreSQL's 100 connections are shared by every test process (and developer).
    overrides.setdefault("database_pool_size", 5)
    if name == "sqlite":
        return Settings(database_url=f"sqlite:///{folder / 'attrium.db'}", **overrides)
    ensure_postgres()
    schema = f"test_{worker_name()}_{os.getpid()}_{time.monotonic_ns() % 10**9}"
    return Settings(database_url=postgres_url(), database_schema=schema, **overrides)


def start_backend(name: str, folder: Path, **overrides: Any) -> LiveBackend:
    settings = settings_for(name, folder, **overrides)
    db = Database(settings)
    app = create_app(settings, db)
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=0,
        log_level="warning",
        lifespan="on",
        **uvicorn_options(settings),
    )
    server = uvicorn.Server(config)
    loop = asyncio.new_event_loop()
    loop.run_until_complete(migrate(db))
    thread = threading.Thread(target=loop.run_until_complete, args=(server.serve(),), daemon=True)
    thread.start()
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail(f"the {name} test server did not start")
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    return LiveBackend(name, settings, db, f"http://127.0.0.1:{port}", loop, server, thread)


def ensure_postgres() -> None:
    """Reach PostgreSQL, starting the local cluster if it is down; fail loudly otherwise."""
    if _postgres_answers():
        return
    if shutil.which("pg_ctlcluster") and os.path.isdir("/etc/postgresql"):
        for version in os.listdir("/etc/postgresql"):
            subprocess.run(
                ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "start"],
                check=False,
                capture_output=True,
            )
        for _ in range(50):
            if _postgres_answers():
                return
            time.sleep(0.2)
    pytest.fail(
        f"PostgreSQL at {postgres_url()} cannot be reached; start it, set "
        "ATTRIUM_TEST_POSTGRES_URL, or run only SQLite with ATTRIUM_TEST_BACKENDS=sqlite"
    )


def _postgres_answers() -> bool:
    async def probe() -> bool:
        try:
            connection = await asyncpg.connect(postgres_url(), timeout=3)
        except asyncpg.TooManyConnectionsError as error:
            pytest.fail(
                f"PostgreSQL at {postgres_url()} answers but has no connection to spare"
                f" ({error}): close other clients or raise its max_connections"
            )
        except (OSError, asyncpg.PostgresError):
            return False
        await connection.close()
        return True

    return asyncio.run(probe())


def drop_schema(schema: str) -> None:
    async def drop() -> None:
        connection = await asyncpg.connect(postgres_url())
        try:
            await connection.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        finally:
            await connection.close()

    asyncio.run(drop())
