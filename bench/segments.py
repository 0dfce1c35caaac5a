"""Segment count: `POST /v1/segments/preview` against hand-written SQL on the same data."""

import asyncio
import sqlite3
import statistics
import time
from typing import Any

import asyncpg  # type: ignore[import-untyped]
import httpx

from bench.dataset import SEGMENT_PREDICATE
from bench.server import Server

POSTGRES_QUERIES = {
    "containment": (
        "SELECT count(*) FROM customers WHERE workspace_id = $1"
        ' AND attributes @> \'{"plan": "pro", "country": "FR"}\''
        " AND (attributes->>'age')::numeric >= 30"
    ),
    "extraction": (
        "SELECT count(*) FROM customers WHERE workspace_id = $1"
        " AND attributes->>'plan' = 'pro' AND attributes->>'country' = 'FR'"
        " AND (attributes->>'age')::numeric >= 30"
    ),
}
SQLITE_QUERY = (
    "SELECT count(*) FROM customers WHERE workspace_id = ?"
    " AND attributes->>'$.plan' = 'pro' AND attributes->>'$.country' = 'FR'"
    " AND attributes->>'$.age' >= 30"
)


def attrium_count(server: Server, token: str, repeats: int) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token}"}
    body = {"predicate": SEGMENT_PREDICATE, "sample": 0}
    timings = []
    count = None
    with httpx.Client(base_url=server.base_url, headers=headers, timeout=600) as client:
        for attempt in range(repeats + 1):
            started = time.monotonic()
            answer = client.post("/v1/segments/preview", json=body).raise_for_status()
            if attempt:  # the first run warms caches
                timings.append(time.monotonic() - started)
            count = answer.json()["count"]
    return _summary(timings, count, "POST /v1/segments/preview " + str(body))


def _summary(timings: list[float], count: Any, command: str) -> dict[str, Any]:
    return {
        "median_ms": round(statistics.median(timings) * 1000, 2),
        "min_ms": round(min(timings) * 1000, 2),
        "count": count,
        "repeats": len(timings),
        "command": command,
    }


def postgres_count(database_url: str, workspace_id: str, repeats: int) -> dict[str, Any]:
    return asyncio.run(_postgres_count(database_url, workspace_id, repeats))


async def _postgres_count(database_url: str, workspace_id: str, repeats: int) -> dict[str, Any]:
    connection = await asyncpg.connect(database_url)
    try:
        variants = {}
        for name, query in POSTGRES_QUERIES.items():
            timings = []
            count = None
            for attempt in range(repeats + 1):
                started = time.monotonic()
                count = await connection.fetchval(query, workspace_id)
                if attempt:
                    timings.append(time.monotonic() - started)
            variants[name] = _summary(timings, count, query.replace("$1", f"'{workspace_id}'"))
    finally:
        await connection.close()
    best = min(variants.values(), key=lambda variant: variant["median_ms"])
    return {**best, "variants": variants}


def sqlite_count(database_path: str, workspace_id: str, repeats: int) -> dict[str, Any]:
    connection = sqlite3.connect(database_path)
    try:
        timings = []
        count = None
        for attempt in range(repeats + 1):
            started = time.monotonic()
            count = connection.execute(SQLITE_QUERY, (workspace_id,)).fetchone()[0]
            if attempt:
                timings.append(time.monotonic() - started)
    finally:
        connection.close()
    return _summary(timings, count, SQLITE_QUERY.replace("?", f"'{workspace_id}'"))
