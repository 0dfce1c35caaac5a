"""A real `attrium serve` process for the benchmark, and what it costs in memory and CPU."""

import asyncio
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg  # type: ignore[import-untyped]
import httpx

from bench.config import BenchConfig

PAGE_BYTES = os.sysconf("SC_PAGE_SIZE")
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def attrium_command() -> str:
    return str(Path(sys.executable).parent / "attrium")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def fresh_database_url(config: BenchConfig, backend: str, folder: Path) -> str:
    """An empty database for one backend: a new PostgreSQL database or a new SQLite file."""
    if backend == "sqlite":
        path = folder / "attrium-bench.db"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return f"sqlite:///{path}"
    asyncio.run(_recreate_postgres_database(config))
    base = config.postgres_admin_url.rsplit("/", 1)[0]
    return f"{base}/{config.database_name}"


async def _recreate_postgres_database(config: BenchConfig) -> None:
    connection = await asyncpg.connect(config.postgres_admin_url)
    try:
        name = config.database_name
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()


def settle(backend: str, database_url: str) -> None:
    """Flush what earlier steps left dirty, so that no measurement pays for another's writes;
    on PostgreSQL, give the planner statistics of what was seeded (the ceilings' tables are
    analysed too; without them the customers' lock query scanned the whole workspace)."""
    os.sync()
    if backend == "postgresql":
        asyncio.run(_checkpoint(database_url))


async def _checkpoint(database_url: str) -> None:
    connection = await asyncpg.connect(database_url)
    try:
        await connection.execute("ANALYZE")
        await connection.execute("CHECKPOINT")
    finally:
        await connection.close()


def _cli(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [attrium_command(), *args], env=env, capture_output=True, text=True, check=True
    )
    return done.stdout.strip().splitlines()[-1]


def create_workspace(env: dict[str, str], name: str) -> tuple[str, str]:
    """A new workspace and an all-scopes key for it, through the admin CLI."""
    # --create: a SQLite bench starts from no file, which admin commands refuse otherwise.
    workspace_id = _cli(env, "workspaces", "create", "--create", name)
    return workspace_id, _cli(env, "keys", "create", "--workspace", name)


@dataclass
class Server:
    """`attrium serve` on a free port, with a workspace and an all-scopes key."""

    database_url: str
    workers: int
    log_path: Path
    extra_env: dict[str, str] = field(default_factory=dict)
    port: int = 0
    token: str = ""
    workspace_id: str = ""
    process: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def env(self) -> dict[str, str]:
        # The per-key rate limit (100/s by default) would cap the one bench key and
        # measure the limiter, not the write path; set it in the environment to measure it.
        unlimited = {"ATTRIUM_RATE_LIMIT_PER_SECOND": "0"}
        return {
            **unlimited,
            **os.environ,
            "ATTRIUM_DATABASE_URL": self.database_url,
            **self.extra_env,
        }

    def command(self) -> list[str]:
        return [
            attrium_command(),
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--workers",
            str(self.workers),
        ]

    def start(self, workspace: str = "bench") -> None:
        env = self.env
        if not self.workspace_id:
            self.workspace_id, self.token = create_workspace(env, workspace)
        self.port = free_port()
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(self.command(), env=env, stdout=log, stderr=log)
        self._wait_ready()

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise RuntimeError(f"attrium serve exited; see {self.log_path}")
            try:
                if httpx.get(f"{self.base_url}/readyz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"attrium serve did not become ready; see {self.log_path}")

    def client(self, timeout: float = 600) -> httpx.Client:
        return httpx.Client(
            base_url=self.base_url,
            headers={"Authorization": f"Bearer {self.token}"},
            timeout=timeout,
        )

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None


def process_tree(pid: int) -> list[int]:
    """`pid` and its descendants (uvicorn's supervisor and its workers)."""
    found = [pid]
    index = 0
    while index < len(found):
        current = found[index]
        index += 1
        try:
            for task in os.listdir(f"/proc/{current}/task"):
                children = Path(f"/proc/{current}/task/{task}/children").read_text().split()
                found.extend(int(child) for child in children)
        except OSError:
            continue
    return found


def rss_bytes(pids: list[int]) -> int:
    total = 0
    for pid in pids:
        try:
            resident_pages = int(Path(f"/proc/{pid}/statm").read_text().split()[1])
        except (OSError, IndexError, ValueError):
            continue
        total += resident_pages * PAGE_BYTES
    return total


def cpu_seconds(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / CLOCK_TICKS


def database_pids() -> list[int]:
    """Every PostgreSQL server process on this machine (the postmaster and its children)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "comm").read_text().strip()
        except OSError:
            continue
        if command.startswith("postgres"):
            found.append(int(entry.name))
    return found


def database_cpu_seconds() -> float:
    """CPU seconds of PostgreSQL's processes so far, with those of the connections that
    ended (the postmaster counts its reaped children's time as its own children's)."""
    total = 0
    for pid in database_pids():
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        total += sum(int(value) for value in fields[11:15])  # utime stime cutime cstime
    return total / CLOCK_TICKS


class DatabaseCpu:
    """CPU seconds PostgreSQL's processes use while a measurement runs.

    Every process of the cluster counts, so a run shares it with whatever else uses the
    server at the time: read it from an idle machine.
    """

    def __enter__(self) -> "DatabaseCpu":
        self._start = database_cpu_seconds()
        self.used = 0.0
        return self

    def __exit__(self, *_exc: object) -> None:
        self.used = database_cpu_seconds() - self._start


class ResourceSampler:
    """Samples a process tree's RSS (and CPU time) while a measurement runs."""

    def __init__(self, pid: int, interval: float = 0.1) -> None:
        self.pid = pid
        self.interval = interval
        self.peak_rss = 0
        self.start_rss = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._cpu_start = 0.0
        self._started = 0.0
        self.cpu_used = 0.0
        self.wall = 0.0

    def __enter__(self) -> "ResourceSampler":
        pids = process_tree(self.pid)
        self.start_rss = rss_bytes(pids)
        self.peak_rss = self.start_rss
        self._cpu_start = cpu_seconds(pids)
        self._started = time.monotonic()
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.peak_rss = max(self.peak_rss, rss_bytes(process_tree(self.pid)))

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()
        pids = process_tree(self.pid)
        self.end_rss = rss_bytes(pids)
        self.cpu_used = cpu_seconds(pids) - self._cpu_start
        self.wall = time.monotonic() - self._started

    def summary(self) -> dict[str, float]:
        return {
            "server_cpu_seconds": round(self.cpu_used, 2),
            "load_average_1min": round(os.getloadavg()[0], 2),
            "rss_start_mb": round(self.start_rss / 2**20, 1),
            "rss_peak_mb": round(self.peak_rss / 2**20, 1),
            "rss_end_mb": round(self.end_rss / 2**20, 1),
            "server_cpu_cores": round(self.cpu_used / self.wall, 2) if self.wall else 0.0,
        }
