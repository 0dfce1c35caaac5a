"""The programs the benchmark runs, checked before anything is measured.

A missing one stops the run at once, naming the Debian package that provides it,
instead of a FileNotFoundError traceback minutes into the run.
"""

import subprocess
from dataclasses import dataclass

from bench.config import BenchConfig


@dataclass(frozen=True)
class Tool:
    program: str
    probe: list[str]
    package: str
    # `wrk -v` exits with 1; /usr/bin/pgbench is Debian's pg_wrapper, present with any
    # client, which fails only when run without the real binary behind it.
    exit_status_matters: bool = True


WRK = Tool("wrk", ["wrk", "-v"], "wrk", exit_status_matters=False)
PSQL = Tool("psql", ["psql", "--version"], "postgresql-client")
# Debian ships pgbench with the server (postgresql-15 on bookworm).
PGBENCH = Tool("pgbench", ["pgbench", "--version"], "postgresql-15")


def required(config: BenchConfig) -> list[Tool]:
    tools = [WRK]
    if "postgresql" in config.backends:
        tools += [PSQL, PGBENCH]
    return tools


def missing(config: BenchConfig) -> list[str]:
    """One line per program that is not installed or does not run, naming its package."""
    return [
        f"`{tool.program}` is missing: install the Debian package `{tool.package}` "
        f"(apt-get install {tool.package})"
        for tool in required(config)
        if not _runs(tool)
    ]


def ensure_installed(config: BenchConfig) -> None:
    problems = missing(config)
    if problems:
        raise SystemExit("\n".join(f"bench: {problem}" for problem in problems))


def _runs(tool: Tool) -> bool:
    try:
        done = subprocess.run(tool.probe, capture_output=True, check=False, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0 or not tool.exit_status_matters
