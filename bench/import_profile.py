"""`python -m bench.import_profile`: what one imported row costs, however busy the machine.

Uploads the benchmark's data set as an import job, then runs the job in this process
(the runner's code, no HTTP) and reports per row: CPU microseconds of this process,
and on PostgreSQL of the database backend that applied the batches (from /proc), plus
the rows per second against an asyncpg `COPY` of the same rows in the same schema,
and the WAL each wrote per row (the whole server's WAL over each phase: other
sessions writing at the same time add to it). Wall-clock figures depend on the
machine's load; the CPU and WAL figures much less.

    python -m bench.import_profile --backend postgresql --rows 10000 [--freeze]
"""

import argparse
import asyncio
import gc
import os
import tempfile
import time
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import text

from attrium.auth.actor import Actor
from attrium.auth.scopes import Scope
from attrium.core.database import Database
from attrium.core.migrate import migrate
from attrium.core.settings import Settings
from attrium.imports import apply, service
from attrium.imports.apply import RunnerConfig
from attrium.imports.formats import ImportFormat
from attrium.workspaces import service as workspaces
from bench import dataset

POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
COPY_COLUMNS = [
    "workspace_id",
    "profile_id",
    "external_id",
    "attributes",
    "created_at",
    "updated_at",
]


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def _backend_pid(db: Database) -> int:
    """The PostgreSQL backend of the pool's only connection (it applies every batch)."""
    async with db.reader() as connection:
        pid: int = (await connection.execute(text("SELECT pg_backend_pid()"))).scalar_one()
    return pid


async def _body(path: Path) -> AsyncIterator[bytes]:
    with path.open("rb") as source:
        while chunk := source.read(1 << 20):
            yield chunk


async def measure(backend: str, rows: int, folder: Path) -> None:
    ndjson, csv_path = dataset.write_files(folder, rows)
    schema = f"import_profile_{os.getpid()}"
    if backend == "postgresql":
        # One connection: the job reads its chunks and applies its batches in turn.
        settings = Settings(database_url=POSTGRES_URL, database_schema=schema, database_pool_size=3)
    else:
        settings = Settings(database_url=f"sqlite:///{folder / f'profile-{os.getpid()}.db'}")
    db = Database(settings)
    await migrate(db)
    try:
        workspace = await workspaces.create(db, f"import-profile-{time.monotonic_ns()}")
        actor = Actor(workspace, None, frozenset(scope.value for scope in Scope))
        job, _ = await service.create_job(
            db, actor, ImportFormat.NDJSON, _body(ndjson), settings.import_chunk_bytes, None
        )
        config = RunnerConfig("profile", settings.import_batch_rows, timedelta(minutes=5))
        claimed = await apply.claim_next(db, config)
        assert claimed is not None
        pid = await _backend_pid(db) if backend == "postgresql" else None
        backend_cpu = _cpu_seconds(pid) if pid else 0.0
        wal = await _wal_position(db) if pid else ""
        started, cpu = time.perf_counter(), time.process_time()
        await apply.run_job(db, settings, claimed, config)
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        done = await service.get_job(db, actor, job.job_id)
        print(f"{backend}: {rows} rows, {done.applied} applied, state {done.state}")
        print(f"  {rows / seconds:,.0f} rows/s ({seconds:.1f} s wall)")
        print(f"  this process: {1e6 * cpu / rows:,.0f} µs CPU per row")
        if pid:
            backend_cpu = _cpu_seconds(pid) - backend_cpu
            print(f"  PostgreSQL: {1e6 * backend_cpu / rows:,.0f} µs CPU per row")
            imported_wal = await _wal_bytes_since(db, wal)
            wal = await _wal_position(db)
            copied = await _copy_ceiling(db, schema, csv_path)
            copied_wal = await _wal_bytes_since(db, wal)
            print(
                f"  COPY of the same rows: {rows / copied:,.0f} rows/s,"
                f" ratio {copied / seconds:.3f}"
            )
            print(
                f"  WAL per row: import {imported_wal / rows:,.0f} bytes,"
                f" COPY {copied_wal / rows:,.0f} bytes"
            )
    finally:
        if backend == "postgresql":
            async with db.transaction() as connection:
                await connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        await db.dispose()


async def _wal_position(db: Database) -> str:
    async with db.reader() as connection:
        position: str = (
            await connection.execute(text("SELECT pg_current_wal_insert_lsn()::text"))
        ).scalar_one()
    return position


async def _wal_bytes_since(db: Database, position: str) -> float:
    query = text(
        "SELECT pg_wal_lsn_diff(pg_current_wal_insert_lsn(), CAST(CAST(:since AS text) AS pg_lsn))"
    )
    async with db.reader() as connection:
        return float((await connection.execute(query, {"since": position})).scalar_one())


async def _copy_ceiling(db: Database, schema: str, csv_path: Path) -> float:
    async with db.transaction() as connection:
        await connection.execute(
            text(f'CREATE TABLE "{schema}".ceiling (LIKE "{schema}".customers INCLUDING ALL)')
        )
    async with db.transaction() as connection:
        raw = await connection.get_raw_connection()
        driver: Any = raw.driver_connection
        started = time.perf_counter()
        await driver.copy_to_table(
            "ceiling", schema_name=schema, source=str(csv_path), format="csv", columns=COPY_COLUMNS
        )
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=("postgresql", "sqlite"), default="postgresql")
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument(
        "--freeze", action="store_true", help="gc.freeze() first, as `attrium serve` does"
    )
    arguments = parser.parse_args()
    if arguments.freeze:
        gc.collect()
        gc.freeze()
    folder = Path(os.environ.get("BENCH_DIR") or tempfile.mkdtemp(prefix="attrium-import-"))
    asyncio.run(measure(arguments.backend, arguments.rows, folder))


if __name__ == "__main__":
    main()
