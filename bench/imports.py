"""Bulk import: `POST /v1/imports` of the data set against COPY of the same rows."""

import csv
import json
import shlex
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

from bench.server import ResourceSampler, Server
from bench.upserts import _libpq_args

CHUNK_BYTES = 1 << 20
POLL_SECONDS = 0.5


def _chunks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as source:
        while chunk := source.read(CHUNK_BYTES):
            yield chunk


def attrium_import(server: Server, token: str, ndjson: Path, rows: int) -> dict[str, Any]:
    """Upload the NDJSON file and wait for the job to finish; time and memory included."""
    assert server.process is not None
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/x-ndjson"}
    with (
        httpx.Client(base_url=server.base_url, headers=headers, timeout=3600) as client,
        ResourceSampler(server.process.pid) as sampler,
    ):
        started = time.monotonic()
        answer = client.post("/v1/imports", content=_chunks(ndjson))
        answer.raise_for_status()
        job = answer.json()
        while job.get("state") not in ("done", "failed"):
            time.sleep(POLL_SECONDS)
            job = client.get(f"/v1/imports/{job['id']}").raise_for_status().json()
        seconds = time.monotonic() - started
    applied = int(job.get("applied", 0))
    return {
        "profiles_per_second": round(applied / seconds, 1),
        "seconds": round(seconds, 2),
        "rows": rows,
        "applied": applied,
        "rejected": int(job.get("rejected", 0)),
        "state": job.get("state"),
        **sampler.summary(),
        "command": f"POST /v1/imports (Content-Type: application/x-ndjson) of {ndjson.name}",
    }


COPY_TABLE = """
DROP TABLE IF EXISTS bench_ceiling_import;
CREATE TABLE bench_ceiling_import (LIKE customers INCLUDING ALL);
"""
COPY_COLUMNS = "workspace_id, profile_id, external_id, attributes, created_at, updated_at"


def postgres_copy(database_url: str, csv_path: Path, rows: int) -> dict[str, Any]:
    """`\\copy` of the same rows into a table with the customers table's columns and indexes."""
    libpq = _libpq_args(database_url)
    subprocess.run(
        ["psql", "-q", "-v", "ON_ERROR_STOP=1", *libpq],
        input=COPY_TABLE,
        text=True,
        check=True,
        capture_output=True,
    )
    copy = f"\\copy bench_ceiling_import ({COPY_COLUMNS}) FROM '{csv_path}' WITH (FORMAT csv)"
    command = ["psql", "-q", "-v", "ON_ERROR_STOP=1", *libpq, "-c", copy]
    started = time.monotonic()
    subprocess.run(command, check=True, capture_output=True)
    seconds = time.monotonic() - started
    return {
        "profiles_per_second": round(rows / seconds, 1),
        "seconds": round(seconds, 2),
        "rows": rows,
        "command": shlex.join(command),
    }


def sqlite_bulk_insert(database_path: Path, csv_path: Path, rows: int) -> dict[str, Any]:
    """SQLite has no COPY: one transaction of `executemany` into an equivalent table."""
    connection = sqlite3.connect(database_path, isolation_level=None)
    try:
        connection.execute("DROP TABLE IF EXISTS bench_ceiling_import")
        connection.execute(
            "CREATE TABLE bench_ceiling_import (workspace_id TEXT NOT NULL, profile_id TEXT NOT"
            " NULL, external_id TEXT, attributes TEXT NOT NULL, created_at TEXT NOT NULL,"
            " updated_at TEXT NOT NULL, PRIMARY KEY (workspace_id, profile_id),"
            " UNIQUE (workspace_id, external_id))"
        )
        started = time.monotonic()
        with csv_path.open(newline="") as source:
            connection.execute("BEGIN IMMEDIATE")
            connection.executemany(
                "INSERT INTO bench_ceiling_import VALUES (?, ?, ?, json(?), ?, ?)",
                csv.reader(source),
            )
            connection.execute("COMMIT")
        seconds = time.monotonic() - started
    finally:
        connection.close()
    return {
        "profiles_per_second": round(rows / seconds, 1),
        "seconds": round(seconds, 2),
        "rows": rows,
        "command": "python3 sqlite3: one transaction, executemany(INSERT ... json(?)) of the CSV",
    }


def api_has(server: Server, path: str) -> bool:
    spec = httpx.get(f"{server.base_url}/openapi.json", timeout=10).json()
    return path in spec.get("paths", {})


def dump(value: Any) -> str:
    return json.dumps(value)
