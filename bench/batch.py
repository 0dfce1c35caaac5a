"""The batch route: `POST /v1/customers/batch` of 100 writes per request under wrk.

Reported in rows (writes) per second, against the same run's pgbench single-row
upsert tps (the issue's target on PostgreSQL: rows/s >= 1.0x), with the server's and
the database's CPU per row.
"""

import os
import random
import shlex
from typing import Any

from bench.config import BenchConfig
from bench.server import Server
from bench.upserts import PLANS, run_wrk, wrk_command

ITEMS_PER_REQUEST = 100


def attrium_batch(config: BenchConfig, server: Server) -> dict[str, Any]:
    """wrk POSTing batches of random customers; the server's memory and CPU sampled."""
    assert server.process is not None
    command = wrk_command(config, server.base_url, "batch.lua")
    env = {
        **os.environ,
        "BENCH_TOKEN": server.token,
        "BENCH_CUSTOMERS": str(config.customers),
        "BENCH_ITEMS": str(ITEMS_PER_REQUEST),
    }
    _warm_up(config, server)
    run = run_wrk(server, command, env)
    found, seconds, sampler, database = run.found, run.seconds, run.sampler, run.database
    requests = max(found["requests"], 1)
    rows = requests * ITEMS_PER_REQUEST
    return {
        "rows_per_second": round(rows / seconds, 1),
        "requests_per_second": round(found["requests"] / seconds, 1),
        "items_per_request": ITEMS_PER_REQUEST,
        "requests": found["requests"],
        "p50_ms": found["p50_us"] / 1000,
        "p90_ms": found["p90_us"] / 1000,
        "p99_ms": found["p99_us"] / 1000,
        "max_ms": found["max_us"] / 1000,
        "errors": run.errors,
        "load_generator_cpu_cores": round(run.load_cpu / seconds, 2),
        "server_cpu_us_per_row": round(sampler.cpu_used * 1e6 / rows, 1),
        "server_cpu_ms_per_request": round(sampler.cpu_used * 1000 / requests, 3),
        "database_cpu_us_per_row": round(database.used * 1e6 / rows, 1),
        "writes_per_transaction": run.writes_per_transaction,
        **sampler.summary(),
        "command": f"BENCH_TOKEN=... BENCH_CUSTOMERS={config.customers} "
        f"BENCH_ITEMS={ITEMS_PER_REQUEST} {shlex.join(command)}",
    }


def _warm_up(config: BenchConfig, server: Server) -> None:
    """Define the attributes, fill caches, and check that every item applies (wrk sees
    only the request's 200, not its items' results)."""
    with server.client() as client:
        for _ in range(5):
            items = [
                {
                    "id": f"c{random.randint(1, config.customers)}",
                    "attributes": {"score": random.randint(0, 10**6), "plan": random.choice(PLANS)},
                }
                for _ in range(ITEMS_PER_REQUEST)
            ]
            response = client.post("/v1/customers/batch", json={"customers": items})
            response.raise_for_status()
            statuses = {result["status"] for result in response.json()["results"]}
            if not statuses <= {200, 201}:
                raise RuntimeError(f"batch items refused in the warm-up: {response.text[:500]}")
