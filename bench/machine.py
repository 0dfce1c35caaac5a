"""What the figures were measured on: hardware, versions, database settings, commit."""

import asyncio
import os
import platform
import sqlite3
import subprocess
from pathlib import Path
from typing import Any

import asyncpg  # type: ignore[import-untyped]

from bench.config import BenchConfig

POSTGRES_SETTINGS = (
    "shared_buffers",
    "synchronous_commit",
    "fsync",
    "wal_level",
    "max_connections",
    "commit_delay",
)


def _first_line(command: list[str]) -> str:
    try:
        done = subprocess.run(command, capture_output=True, text=True, check=False)
    except OSError:
        return "not installed"
    text = (done.stdout or done.stderr).strip()
    return text.splitlines()[0] if text else "unknown"


def _cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def _memory_gib() -> float:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return round(int(line.split()[1]) / 2**20, 1)
    return 0.0


def _git(*args: str) -> str:
    return _first_line(["git", "-C", str(Path(__file__).parent), *args])


async def _postgres(config: BenchConfig) -> dict[str, str]:
    connection = await asyncpg.connect(config.postgres_admin_url)
    try:
        found = {"version": await connection.fetchval("SHOW server_version")}
        for name in POSTGRES_SETTINGS:
            found[name] = await connection.fetchval(f"SHOW {name}")
        return found
    finally:
        await connection.close()


def describe(config: BenchConfig) -> dict[str, Any]:
    dirty = bool(
        subprocess.run(
            ["git", "-C", str(Path(__file__).parent), "status", "--porcelain", "--", "src"],
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip()
    )
    machine: dict[str, Any] = {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "memory_gib": _memory_gib(),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "wrk": _first_line(["wrk", "-v"]),
        "pgbench": _first_line(["pgbench", "--version"]),
        "load_average_at_start": " ".join(f"{load:.2f}" for load in os.getloadavg()),
        "commit": _git("rev-parse", "--short", "HEAD") + (" (src modified)" if dirty else ""),
    }
    if "postgresql" in config.backends:
        machine["postgresql"] = asyncio.run(_postgres(config))
    return machine
