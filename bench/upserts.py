"""Upserts: Attrium's PATCH under wrk, against the database's own single-row upsert.

PostgreSQL's ceiling is pgbench running the equivalent `INSERT ... ON CONFLICT DO
UPDATE` jsonb merge at the same concurrency; SQLite's is a Python loop committing the
same upsert one by one (SQLite has one writer at a time).
"""

import json
import os
import random
import shlex
import sqlite3
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

from bench.config import BenchConfig
from bench.server import DatabaseCpu, ResourceSampler, Server

HERE = Path(__file__).parent
PLANS = ("free", "pro", "enterprise")


def run_child(command: list[str], env: dict[str, str] | None = None) -> tuple[str, float]:
    """Run a load generator; return its stdout and the CPU seconds it used."""
    with tempfile.TemporaryFile() as output:
        process = subprocess.Popen(command, env=env, stdout=output, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        output.seek(0)
        text = output.read().decode(errors="replace")
    if process.returncode != 0:
        raise RuntimeError(f"{shlex.join(command)} failed:\n{text}")
    return text, usage.ru_utime + usage.ru_stime


def wrk_command(config: BenchConfig, base_url: str, script: str = "patch.lua") -> list[str]:
    return [
        "wrk",
        "--threads",
        "1",
        "--connections",
        str(config.connections),
        "--duration",
        f"{config.duration}s",
        "--timeout",
        "10s",
        "--script",
        str(HERE / script),
        base_url,
    ]


def attrium_upserts(config: BenchConfig, server: Server) -> dict[str, Any]:
    """wrk PATCHing random customers; the server's memory and CPU sampled meanwhile."""
    assert server.process is not None
    command = wrk_command(config, server.base_url)
    env = {**os.environ, "BENCH_TOKEN": server.token, "BENCH_CUSTOMERS": str(config.customers)}
    _warm_up(config, server)
    run = run_wrk(server, command, env)
    found, seconds, sampler, database = run.found, run.seconds, run.sampler, run.database
    return {
        "requests_per_second": round(found["requests"] / seconds, 1),
        "requests": found["requests"],
        "p50_ms": found["p50_us"] / 1000,
        "p90_ms": found["p90_us"] / 1000,
        "p99_ms": found["p99_us"] / 1000,
        "max_ms": found["max_us"] / 1000,
        "errors": run.errors,
        "error_detail": {k: v for k, v in found.items() if k.endswith("errors") or k == "timeouts"},
        "load_generator_cpu_cores": round(run.load_cpu / seconds, 2),
        "server_cpu_ms_per_request": round(sampler.cpu_used * 1000 / max(found["requests"], 1), 3),
        "database_cpu_ms_per_request": round(database.used * 1000 / max(found["requests"], 1), 3),
        "writes_per_transaction": run.writes_per_transaction,
        **sampler.summary(),
        "command": f"BENCH_TOKEN=... BENCH_CUSTOMERS={config.customers} {shlex.join(command)}",
    }


@dataclass
class WrkRun:
    """One wrk run against the server, with what was sampled meanwhile."""

    found: dict[str, Any]
    load_cpu: float
    sampler: ResourceSampler
    database: DatabaseCpu
    writes_per_transaction: float

    @property
    def seconds(self) -> float:
        return float(self.found["duration_us"]) / 1e6

    @property
    def errors(self) -> int:
        found = self.found
        return sum(found[name] for name in found if name.endswith("_errors") or name == "timeouts")


def run_wrk(server: Server, command: list[str], env: dict[str, str]) -> WrkRun:
    """Run wrk, sampling the server's and the database's CPU and counting the writer's
    transactions (the server's `/metrics`) around it."""
    assert server.process is not None
    writes_before, transactions_before = writer_totals(server)
    with ResourceSampler(server.process.pid) as sampler, DatabaseCpu() as database:
        output, load_cpu = run_child(command, env)
    writes, transactions = writer_totals(server)
    per_transaction = (writes - writes_before) / max(transactions - transactions_before, 1)
    return WrkRun(wrk_result(output), load_cpu, sampler, database, round(per_transaction, 1))


def writer_totals(server: Server) -> tuple[float, float]:
    """The server's customer writes and write transactions so far (its `/metrics`)."""
    with server.client() as client:
        text = client.get("/metrics").text
    totals = {"sum": 0.0, "count": 0.0}
    for line in text.splitlines():
        name, _, value = line.partition(" ")
        if name.startswith("attrium_write_batch_writes_"):
            totals[name.removeprefix("attrium_write_batch_writes_")] = float(value)
    return totals["sum"], totals["count"]


def _warm_up(config: BenchConfig, server: Server) -> None:
    """Define the attributes and fill caches, so the measurement sees the steady state."""
    with server.client() as client:
        for number in range(1, 21):
            customer = random.randint(1, config.customers)
            response = client.patch(
                f"/v1/customers/c{customer}/attributes",
                json={"score": number, "plan": PLANS[number % 3]},
            )
            response.raise_for_status()


def wrk_result(output: str) -> dict[str, Any]:
    for line in output.splitlines():
        if line.startswith("BENCH_RESULT "):
            found: dict[str, Any] = json.loads(line.removeprefix("BENCH_RESULT "))
            return found
    raise RuntimeError(f"wrk printed no result:\n{output}")


PGBENCH_SETUP = """
DROP TABLE IF EXISTS bench_ceiling_upsert;
CREATE TABLE bench_ceiling_upsert (
    workspace_id text NOT NULL,
    external_id text NOT NULL,
    attributes jsonb NOT NULL,
    updated_at timestamptz NOT NULL,
    PRIMARY KEY (workspace_id, external_id)
);
INSERT INTO bench_ceiling_upsert
SELECT 'bench', 'c' || n, '{}'::jsonb, now() FROM generate_series(1, :customers) AS n;
VACUUM ANALYZE bench_ceiling_upsert;
"""

PGBENCH_SCRIPT = """\\set id random(1, :customers)
\\set score random(0, 1000000)
\\set plan random(1, 3)
INSERT INTO bench_ceiling_upsert AS c (workspace_id, external_id, attributes, updated_at)
VALUES ('bench', 'c' || (:id)::int,
        jsonb_build_object('score', (:score)::int,
                           'plan', (ARRAY['free', 'pro', 'enterprise'])[(:plan)::int]),
        now())
ON CONFLICT (workspace_id, external_id) DO UPDATE
SET attributes = jsonb_strip_nulls(c.attributes || EXCLUDED.attributes),
    updated_at = EXCLUDED.updated_at;
"""


def _libpq_args(database_url: str) -> list[str]:
    url = make_url(database_url)
    return [
        "-h",
        url.host or "127.0.0.1",
        "-p",
        str(url.port or 5432),
        "-U",
        url.username or "postgres",
        url.database or "postgres",
    ]


def pgbench_upserts(config: BenchConfig, database_url: str, folder: Path) -> dict[str, Any]:
    """pgbench's single-row jsonb-merge upsert at the same concurrency (the ceiling)."""
    setup = PGBENCH_SETUP.replace(":customers", str(config.customers))
    subprocess.run(
        ["psql", "-q", "-v", "ON_ERROR_STOP=1", *_libpq_args(database_url)],
        input=setup,
        text=True,
        check=True,
        capture_output=True,
    )
    script = folder / "upsert.sql"
    script.write_text(PGBENCH_SCRIPT)
    log_prefix = folder / "pgbench_log"
    for old in folder.glob("pgbench_log*"):
        old.unlink()
    command = [
        "pgbench",
        "--no-vacuum",
        "--client",
        str(config.connections),
        "--jobs",
        "2",
        "--time",
        str(config.duration),
        "--protocol",
        "prepared",
        "--define",
        f"customers={config.customers}",
        "--file",
        str(script),
        "--log",
        f"--log-prefix={log_prefix}",
        *_libpq_args(database_url),
    ]
    with DatabaseCpu() as database:
        output, load_cpu = _run_pgbench(command)
    latencies = sorted(_pgbench_latencies(folder))
    tps = _pgbench_tps(output)
    failed = _pgbench_failed(output)
    return {
        "requests_per_second": round(tps, 1),
        "requests": len(latencies),
        "p50_ms": _percentile(latencies, 50) / 1000,
        "p90_ms": _percentile(latencies, 90) / 1000,
        "p99_ms": _percentile(latencies, 99) / 1000,
        "max_ms": latencies[-1] / 1000 if latencies else 0.0,
        "errors": failed,
        "load_average_1min": round(os.getloadavg()[0], 2),
        "load_generator_cpu_cores": round(load_cpu / config.duration, 2),
        "database_cpu_ms_per_request": round(database.used * 1000 / max(len(latencies), 1), 3),
        "command": shlex.join(command),
        "script": PGBENCH_SCRIPT,
    }


def _run_pgbench(command: list[str], attempts: int = 5) -> tuple[str, float]:
    """pgbench, retried while other users of a shared server hold every connection."""
    for attempt in range(1, attempts + 1):
        try:
            return run_child(command)
        except RuntimeError as error:
            if "too many clients" not in str(error) or attempt == attempts:
                raise
            time.sleep(5)
    raise AssertionError("unreachable")


def _pgbench_latencies(folder: Path) -> list[int]:
    latencies = []
    for log in folder.glob("pgbench_log*"):
        for line in log.read_text().splitlines():
            fields = line.split()
            if len(fields) >= 3 and fields[2].isdigit():
                latencies.append(int(fields[2]))
    return latencies


def _pgbench_tps(output: str) -> float:
    for line in output.splitlines():
        if line.startswith("tps = "):
            return float(line.split()[2])
    raise RuntimeError(f"pgbench printed no tps:\n{output}")


def _pgbench_failed(output: str) -> int:
    for line in output.splitlines():
        if line.startswith("number of failed transactions:"):
            return int(line.split(":")[1].split()[0])
    return 0


def _percentile(ordered: list[int] | list[float], percent: float) -> float:
    if not ordered:
        return 0.0
    index = min(len(ordered) - 1, max(0, round(percent / 100 * len(ordered)) - 1))
    return float(ordered[index])


SQLITE_UPSERT = """
INSERT INTO bench_ceiling_upsert (workspace_id, external_id, attributes, updated_at)
VALUES ('bench', ?, ?, ?)
ON CONFLICT (workspace_id, external_id) DO UPDATE
SET attributes = json_patch(attributes, excluded.attributes), updated_at = excluded.updated_at
"""


def sqlite_loop_upserts(config: BenchConfig, folder: Path, synchronous: str) -> dict[str, Any]:
    """One Python loop committing the same upsert one at a time (SQLite's ceiling)."""
    path = folder / "ceiling.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        _prepare_sqlite_ceiling(connection, config.customers, synchronous)
        latencies = _sqlite_loop(connection, config.duration)
    finally:
        connection.close()
    latencies.sort()
    return {
        "requests_per_second": round(len(latencies) / config.duration, 1),
        "requests": len(latencies),
        "p50_ms": _percentile(latencies, 50) * 1000,
        "p90_ms": _percentile(latencies, 90) * 1000,
        "p99_ms": _percentile(latencies, 99) * 1000,
        "max_ms": latencies[-1] * 1000 if latencies else 0.0,
        "errors": 0,
        "load_average_1min": round(os.getloadavg()[0], 2),
        "command": f"python3 -m bench (sqlite3 loop, WAL, synchronous={synchronous}):"
        + " ".join(SQLITE_UPSERT.split()),
    }


def _prepare_sqlite_ceiling(connection: sqlite3.Connection, customers: int, sync: str) -> None:
    for pragma in ("journal_mode=WAL", f"synchronous={sync}"):
        connection.execute(f"PRAGMA {pragma}")
    connection.execute(
        "CREATE TABLE bench_ceiling_upsert (workspace_id TEXT NOT NULL, external_id TEXT NOT NULL,"
        " attributes TEXT NOT NULL, updated_at TEXT NOT NULL,"
        " PRIMARY KEY (workspace_id, external_id))"
    )
    connection.execute("BEGIN")
    connection.executemany(
        "INSERT INTO bench_ceiling_upsert VALUES ('bench', ?, '{}', '2026-01-01 00:00:00')",
        ((f"c{number}",) for number in range(1, customers + 1)),
    )
    connection.execute("COMMIT")


def _sqlite_loop(connection: sqlite3.Connection, duration: int) -> list[float]:
    latencies: list[float] = []
    deadline = time.monotonic() + duration
    customers = connection.execute("SELECT count(*) FROM bench_ceiling_upsert").fetchone()[0]
    while (started := time.monotonic()) < deadline:
        patch = json.dumps({"score": random.randint(0, 1_000_000), "plan": random.choice(PLANS)})
        connection.execute("BEGIN IMMEDIATE")
        connection.execute(
            SQLITE_UPSERT,
            (f"c{random.randint(1, customers)}", patch, time.strftime("%Y-%m-%d %H:%M:%S")),
        )
        connection.execute("COMMIT")
        latencies.append(time.monotonic() - started)
    return latencies
