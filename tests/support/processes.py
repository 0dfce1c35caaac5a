"""Real `attrium serve` processes, for tests that kill, restart or multiply the server."""

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from attrium.auth import service as keys
from attrium.core.database import Database
from attrium.core.migrate import migrate
from attrium.core.settings import Settings
from attrium.workspaces import service as workspaces
from tests.support.backends import (
    RATE_LIMITS,
    START_TIMEOUT_SECONDS,
    drop_schema,
    ensure_postgres,
    postgres_url,
    worker_name,
)


@dataclass
class Deployment:
    """One database (a SQLite file or a PostgreSQL schema) that server processes share."""

    backend: str
    folder: Path
    env: dict[str, str]
    servers: list["ServerProcess"] = field(default_factory=list)

    def settings(self) -> Settings:
        return Settings(
            database_url=self.env["ATTRIUM_DATABASE_URL"],
            database_schema=self.env.get("ATTRIUM_DATABASE_SCHEMA"),
        )

    def provision(self, name: str = "probe") -> str:
        """Migrate, make a workspace, and answer an all-scopes key of it."""

        async def work() -> str:
            db = Database(self.settings())
            try:
                await migrate(db)
                workspace = await workspaces.create(db, name)
                _, token = await keys.create_key(db, workspace, label="test admin")
                return token
            finally:
                await db.dispose()

        return asyncio.run(work())

    def start(self, *args: str, **extra_env: str) -> "ServerProcess":
        """A server with these `attrium serve` options and settings besides the deployment's."""
        server = ServerProcess.start(self.env | extra_env, self.folder, args)
        self.servers.append(server)
        return server

    def close(self) -> None:
        for server in self.servers:
            server.stop()
        schema = self.env.get("ATTRIUM_DATABASE_SCHEMA")
        if schema:
            drop_schema(schema)


def deployment(backend: str, folder: Path, **settings: str) -> Deployment:
    env = {key: value for key, value in os.environ.items() if not key.startswith("ATTRIUM_")}
    env.update({f"ATTRIUM_{limit.upper()}": "0" for limit in RATE_LIMITS})
    env["ATTRIUM_DATABASE_POOL_SIZE"] = "5"  # PostgreSQL's 100 connections are shared
    if backend == "sqlite":
        env["ATTRIUM_DATABASE_URL"] = f"sqlite:///{folder / 'attrium.db'}"
    else:
        ensure_postgres()
        env["ATTRIUM_DATABASE_URL"] = postgres_url()
        env["ATTRIUM_DATABASE_SCHEMA"] = (
            f"proc_{worker_name()}_{os.getpid()}_{time.monotonic_ns() % 10**9}"
        )
    env.update({f"ATTRIUM_{key.upper()}": value for key, value in settings.items()})
    return Deployment(backend, folder, env)


@dataclass
class ServerProcess:
    process: subprocess.Popen[bytes]
    base_url: str
    log: Path

    @classmethod
    def start(
        cls, env: dict[str, str], folder: Path, args: tuple[str, ...] = ()
    ) -> "ServerProcess":
        port = free_port()
        log = folder / f"server-{port}.log"
        with log.open("wb") as output:
            process = subprocess.Popen(
                [sys.executable, "-m", "attrium", "serve", "--port", str(port), *args],
                env=env,
                cwd=folder,
                stdout=output,
                stderr=subprocess.STDOUT,
            )
        server = cls(process, f"http://127.0.0.1:{port}", log)
        server.wait_ready()
        return server

    def wait_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"the server exited early:\n{self.log.read_text()}")
            try:
                if httpx.get(f"{self.base_url}/readyz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        self.kill()
        pytest.fail(f"the server did not become ready:\n{self.log.read_text()}")

    def kill(self) -> None:
        """SIGKILL: no shutdown handler runs, in-flight requests die mid-way."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port
