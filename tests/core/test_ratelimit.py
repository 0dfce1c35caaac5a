"""Per-key token buckets: 429 with Retry-After and X-RateLimit-*, shared through Redis."""

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from attrium.core.ratelimit import Bucket, LocalBuckets, RedisBuckets
from tests.support.backends import LiveBackend, start_backend
from tests.support.problems import assert_problem
from tests.support.processes import Deployment, deployment
from tests.support.redis import ensure_redis
from tests.support.workspaces import new_workspace

BURST = 5


@pytest.fixture(scope="module")
def limited(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveBackend]:
    folder = Path(tmp_path_factory.mktemp("limited"))
    live = start_backend("sqlite", folder, rate_limit_per_second=0.5, rate_limit_burst=BURST)
    yield live
    live.stop()


def test_a_key_gets_its_burst_then_429(limited: LiveBackend) -> None:
    workspace = new_workspace(limited)
    with workspace.client() as client:
        answers = [client.get("/v1/workspace") for _ in range(BURST)]
        refused = client.get("/v1/workspace")
    assert [answer.status_code for answer in answers] == [200] * BURST
    assert [int(answer.headers["X-RateLimit-Remaining"]) for answer in answers] == [4, 3, 2, 1, 0]
    assert {answer.headers["X-RateLimit-Limit"] for answer in answers} == {str(BURST)}
    assert_problem(refused, 429)
    assert int(refused.headers["Retry-After"]) >= 1
    assert refused.headers["X-RateLimit-Remaining"] == "0"
    assert int(refused.headers["X-RateLimit-Reset"]) >= 1


def test_each_key_has_its_own_bucket(limited: LiveBackend) -> None:
    workspace = new_workspace(limited)
    with workspace.client() as client:
        for _ in range(BURST + 1):
            client.get("/v1/workspace")
    with workspace.client(workspace.key(["attributes:read"])) as other:
        assert other.get("/v1/workspace").status_code == 200


def test_health_probes_are_not_limited(limited: LiveBackend) -> None:
    for _ in range(BURST + 2):
        assert httpx.get(f"{limited.base_url}/healthz").status_code == 200


def test_the_bucket_refills_at_the_rate() -> None:
    buckets, bucket = LocalBuckets(), Bucket(rate=50, burst=1)

    async def scenario() -> list[bool]:
        first = await buckets.take("k", bucket)
        second = await buckets.take("k", bucket)
        assert second is not None
        await asyncio.sleep(second.retry_after_seconds + 0.01)
        third = await buckets.take("k", bucket)
        return [decision is not None and decision.allowed for decision in (first, second, third)]

    assert asyncio.run(scenario()) == [True, False, True]


@pytest.mark.parametrize("store", ["local", "redis"])
def test_looking_at_a_bucket_takes_nothing(store: str) -> None:
    async def scenario() -> list[tuple[bool, int]]:
        buckets = LocalBuckets() if store == "local" else RedisBuckets(ensure_redis())
        bucket, key = Bucket(rate=0.01, burst=2), f"look-{time.time_ns()}"
        try:
            looks = [await buckets.take(key, bucket, cost=0) for _ in range(5)]
            takes = [await buckets.take(key, bucket) for _ in range(3)]
            emptied = await buckets.take(key, bucket, cost=0)
        finally:
            await buckets.close()
        decisions = [*looks, *takes, emptied]
        return [(d.allowed, d.remaining) for d in decisions if d is not None]

    allowed, refused = (True, 2), (False, 0)
    expected = [allowed] * 5 + [(True, 1), (True, 0), refused, refused]
    assert asyncio.run(scenario()) == expected


def test_an_unreachable_redis_lets_requests_through() -> None:
    limiter = RedisBuckets("redis://127.0.0.1:1/0")

    async def scenario() -> object:
        try:
            return await limiter.take("k", Bucket(rate=1, burst=1))
        finally:
            await limiter.close()

    assert asyncio.run(scenario()) is None


@pytest.fixture
def two_processes_one_redis(tmp_path: Path) -> Iterator[Deployment]:
    target = deployment(
        "sqlite",
        tmp_path,
        redis_url=ensure_redis(),
        rate_limit_per_second="0.5",
        rate_limit_burst="10",
    )
    yield target
    target.close()


def test_two_processes_sharing_redis_share_one_limit(two_processes_one_redis: Deployment) -> None:
    token = two_processes_one_redis.provision()
    servers = [two_processes_one_redis.start(), two_processes_one_redis.start()]
    headers = {"Authorization": f"Bearer {token}"}
    started = time.monotonic()
    statuses = {server.base_url: [] for server in servers}
    with httpx.Client(headers=headers, timeout=30) as client:
        for number in range(30):
            base_url = servers[number % 2].base_url
            statuses[base_url].append(client.get(f"{base_url}/v1/workspace").status_code)
    elapsed = time.monotonic() - started
    allowed = sum(codes.count(200) for codes in statuses.values())
    print(f"allowed {allowed} of 30 in {elapsed:.2f} s across two processes")
    assert 10 <= allowed <= 10 + int(elapsed * 0.5) + 1
    assert all(429 in codes for codes in statuses.values())


# Each dialect's limit and its 429: tests/dialects/test_rate_limits.py.
