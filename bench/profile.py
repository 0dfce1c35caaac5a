"""`python -m bench.profile`: what one PATCH costs, independent of how busy the machine is.

Runs the application in this process (ASGI, no sockets), seeds customers, then sends
sequential `PATCH /v1/customers/{id}/attributes` and reports per request: CPU
milliseconds of this process, SQL statements executed, transactions committed. With
`--pyinstrument FILE` it also writes a call-tree profile of the same requests.
`--layer service` calls the customers service directly instead (no HTTP, no
httpx client): the write pipeline's own cost.

    python -m bench.profile --backend postgresql --requests 500 [--concurrency 32]
        [--layer http|service] [--pyinstrument out.html]
"""

import argparse
import asyncio
import gc
import random
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import event

from attrium.app import create_app
from attrium.auth import service as keys
from attrium.core import metrics
from attrium.core.database import Database
from attrium.core.migrate import migrate
from attrium.core.settings import Settings
from attrium.customers import service
from attrium.customers.identity import CustomerRef, IdentifierKind
from attrium.customers.models import CustomerWrite
from attrium.workspaces import service as workspaces
from bench.config import load
from bench.seed import blank_customers, seed_customers
from bench.server import fresh_database_url

PLANS = ("free", "pro", "enterprise")


class StatementCounter:
    def __init__(self, db: Database) -> None:
        self.statements = 0
        self.commits = 0
        self.texts: list[str] = []
        event.listen(db.engine.sync_engine, "before_cursor_execute", self._statement)
        event.listen(db.engine.sync_engine, "commit", self._commit)

    def _statement(self, _connection: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        self.statements += 1
        self.texts.append(" ".join(statement.split()))

    def _commit(self, *_args: Any) -> None:
        self.commits += 1


async def measure(
    database_url: str,
    customers: int,
    requests: int,
    concurrency: int,
    profile: Path | None,
    show: bool,
    layer: str = "http",
) -> None:
    # The per-key limit would answer 429 long before the requests are done; it is not measured here.
    settings = Settings(database_url=database_url, rate_limit_per_second=0)
    db = Database(settings)
    await migrate(db)
    workspace = await workspaces.create(db, f"profile-{time.monotonic_ns()}")
    _, token = await keys.create_key(db, workspace)
    await asyncio.to_thread(
        seed_customers, database_url, workspace.workspace_id, blank_customers(customers)
    )
    app = create_app(settings, db)
    app.state.db = db  # ASGITransport runs no lifespan: what it would start, started here
    poller = workspaces.version_poller(db)
    await poller.start()
    transport = httpx.ASGITransport(app=app)
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(
        transport=transport, base_url="http://bench", headers=headers
    ) as client:
        await _patches(client, customers, 20)  # warm up: definitions, caches, pool
        send = _patches if layer == "http" else _service_patches(db, token, settings)
        gc.collect()
        gc.freeze()  # as `attrium serve` does once started
        counter = StatementCounter(db)
        profiler = _start_profiler(profile)
        started, wall_started = time.process_time(), time.perf_counter()
        await send(client, customers, requests, concurrency)
        cpu, wall = time.process_time() - started, time.perf_counter() - wall_started
        _stop_profiler(profiler, profile)
    await poller.stop()
    await db.dispose()
    print(f"backend: {db.backend}, requests: {requests}, concurrency: {concurrency}, {layer}")
    print(f"CPU ms per PATCH (this process, app only): {cpu * 1000 / requests:.3f}")
    print(f"SQL statements per PATCH: {counter.statements / requests:.2f}")
    print(f"commits per PATCH: {counter.commits / requests:.2f}")
    print(f"writes per second (wall clock): {requests / wall:,.0f}")
    print(f"writes per transaction: {_batch_sizes()}")
    print(f"transaction mean ms: {_mean_transaction_ms():.2f}")
    if show:
        print("statements of the last PATCH:")
        per_request = round(counter.statements / requests)
        for text in counter.texts[-per_request:]:
            print(f"  {text[:160]}")


def _batch_sizes() -> str:
    """The writer's transactions by size (cumulative buckets: at most N writes)."""
    buckets = [
        (sample.labels["le"], int(sample.value))
        for sample in metrics.WRITE_BATCH_SIZE.collect()[0].samples
        if sample.name.endswith("_bucket") and sample.value
    ]
    return ", ".join(f"<={bound}: {count}" for bound, count in buckets)


def _mean_transaction_ms() -> float:
    samples = {s.name: s.value for s in metrics.WRITE_BATCH_SECONDS.collect()[0].samples}
    count = next((value for name, value in samples.items() if name.endswith("_count")), 0)
    total = next((value for name, value in samples.items() if name.endswith("_sum")), 0)
    return 1000 * total / count if count else 0.0


async def _patches(
    client: httpx.AsyncClient, customers: int, count: int, concurrency: int = 1
) -> None:
    """`count` PATCHes, `concurrency` of them in flight at a time."""
    numbers = iter(range(count))

    async def sender() -> None:
        for number in numbers:
            customer = random.randint(1, customers)
            body = {"score": random.randint(0, 1_000_000), "plan": PLANS[number % 3]}
            answer = await client.patch(f"/v1/customers/c{customer}/attributes", json=body)
            answer.raise_for_status()

    await asyncio.gather(*(sender() for _ in range(concurrency)))


def _service_patches(db: Database, token: str, settings: Settings) -> Any:
    """`_patches` through `customers.service.upsert`, without HTTP."""

    async def send(
        _client: httpx.AsyncClient, customers: int, count: int, concurrency: int = 1
    ) -> None:
        actor = await keys.authenticate(db, token)
        options = service.native_options(actor, settings)
        numbers = iter(range(count))

        async def sender() -> None:
            for number in numbers:
                ref = CustomerRef(IdentifierKind.ID, f"c{random.randint(1, customers)}")
                body = {"score": random.randint(0, 1_000_000), "plan": PLANS[number % 3]}
                write = CustomerWrite(attributes=body, update_only=True)
                await service.upsert(db, actor, ref, write, options)

        await asyncio.gather(*(sender() for _ in range(concurrency)))

    return send


def _start_profiler(path: Path | None) -> Any:
    if path is None:
        return None
    from pyinstrument import Profiler

    profiler = Profiler(async_mode="enabled")
    profiler.start()
    return profiler


def _stop_profiler(profiler: Any, path: Path | None) -> None:
    if profiler is None or path is None:
        return
    profiler.stop()
    if path.suffix == ".html":
        path.write_text(profiler.output_html())
    else:
        path.write_text(profiler.output_text(unicode=True, show_all=False))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--backend", choices=("postgresql", "sqlite"), default="postgresql")
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument(
        "--concurrency", type=int, default=1, help="PATCHes in flight at a time (group commit)"
    )
    parser.add_argument("--layer", choices=("http", "service"), default="http")
    parser.add_argument("--pyinstrument", type=Path, default=None)
    parser.add_argument(
        "--show-statements", action="store_true", help="print the SQL of the last PATCH"
    )
    arguments = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="attrium-profile-"))
    database_url = fresh_database_url(load(), arguments.backend, folder)
    asyncio.run(
        measure(
            database_url,
            arguments.customers,
            arguments.requests,
            arguments.concurrency,
            arguments.pyinstrument,
            arguments.show_statements,
            arguments.layer,
        )
    )


if __name__ == "__main__":
    main()
