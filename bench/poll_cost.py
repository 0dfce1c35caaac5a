"""`python -m bench.poll_cost`: what an idle process pays to keep its caches current.

Each process polls every workspace's version every `POLL_SECONDS` (core.invalidation).
This runs that poll back to back on a fresh database holding `--workspaces` workspaces
and reports, per poll, the CPU of this process and (PostgreSQL) of the server process
that answered it, then the same per second of an idle process.

    python -m bench.poll_cost --backend postgresql --workspaces 1000 [--polls 2000]
"""

import argparse
import asyncio
import os
import tempfile
import time
from pathlib import Path

from sqlalchemy import text

from attrium.core.clock import utcnow
from attrium.core.database import Database
from attrium.core.ids import new_workspace_id
from attrium.core.invalidation import POLL_SECONDS
from attrium.core.migrate import migrate
from attrium.core.settings import Settings
from attrium.workspaces import store
from attrium.workspaces.service import version_poller
from bench.config import load
from bench.server import fresh_database_url

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _process_cpu_seconds(pid: int) -> float:
    """utime + stime of a process on this machine, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


async def measure(database_url: str, workspaces: int, polls: int) -> None:
    db = Database(Settings(database_url=database_url, database_pool_size=1))
    await migrate(db)
    async with db.transaction() as connection:
        for number in range(workspaces):
            await store.insert_workspace(
                connection, new_workspace_id(), f"poll-{number}", "k", utcnow()
            )
    server_pid = None
    if not db.is_sqlite:
        async with db.single_read() as connection:
            server_pid = (await connection.execute(text("SELECT pg_backend_pid()"))).scalar_one()
    poller = version_poller(db)
    await poller.poll()  # warm: connection, statement cache
    server_before = _process_cpu_seconds(server_pid) if server_pid else 0.0
    started, cpu_started = time.perf_counter(), time.process_time()
    for _ in range(polls):
        await poller.poll()
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    server_cpu = _process_cpu_seconds(server_pid) - server_before if server_pid else 0.0
    await db.dispose()
    per_second = 1 / POLL_SECONDS
    print(f"backend: {db.backend}, workspaces: {workspaces}, polls: {polls}")
    print(f"wall ms per poll: {wall * 1000 / polls:.3f}")
    print(f"CPU µs per poll, this process: {cpu * 1e6 / polls:.1f}")
    if server_pid:
        print(f"CPU µs per poll, PostgreSQL backend: {server_cpu * 1e6 / polls:.1f}")
    idle_share = (cpu + server_cpu) / polls * per_second * 100
    print(f"idle process: {per_second:.0f} polls/s, {idle_share:.3f} % of one core in all")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--backend", choices=("postgresql", "sqlite"), default="postgresql")
    parser.add_argument("--workspaces", type=int, default=1)
    parser.add_argument("--polls", type=int, default=2000)
    arguments = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="attrium-poll-"))
    database_url = fresh_database_url(load(), arguments.backend, folder)
    asyncio.run(measure(database_url, arguments.workspaces, arguments.polls))


if __name__ == "__main__":
    main()
