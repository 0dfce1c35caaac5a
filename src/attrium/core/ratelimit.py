"""Per-key token buckets: in this process by default, shared through Redis when configured.

A bucket holds at most `burst` tokens and refills at `rate` tokens per second; each
request takes one. With Redis the bucket lives in Redis and a Lua script takes the
token atomically, with Redis's clock, so every server process draws from one bucket.

There is one store of buckets and several *limits*: the native one, one per
dialect whose vendor documents a per-key rate of its own (Attentive, Optimove), and
the budget of failed authentications of each client address (auth.guessing). A key
has a separate bucket under each limit it is charged to.
"""

import logging
import math
import time
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

import redis.asyncio as redis
from redis.exceptions import RedisError

from attrium.core.settings import Settings

logger = logging.getLogger("attrium.ratelimit")

REDIS_KEY_PREFIX = "attrium:ratelimit:"
MAX_LOCAL_BUCKETS = 10_000


@dataclass(frozen=True, slots=True)
class Decision:
    allowed: bool
    limit: int
    remaining: int
    reset_seconds: float
    retry_after_seconds: float

    def headers(self) -> dict[str, str]:
        """`X-RateLimit-Reset` is in seconds from now, until the bucket is full again."""
        return {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(math.ceil(self.reset_seconds)),
        }


@dataclass(frozen=True, slots=True)
class Bucket:
    rate: float
    burst: int

    def decide(self, tokens_before: float, allowed: bool, cost: int = 1) -> Decision:
        tokens = tokens_before - cost if allowed else tokens_before
        return Decision(
            allowed=allowed,
            limit=self.burst,
            remaining=max(0, math.floor(tokens)),
            reset_seconds=(self.burst - tokens) / self.rate,
            retry_after_seconds=0.0 if allowed else (1 - tokens) / self.rate,
        )


class BucketStore(Protocol):
    async def take(self, key: str, bucket: Bucket, cost: int = 1) -> Decision | None:
        """Take `cost` tokens (0: only look) from `key`'s bucket, shaped `bucket`, if it
        holds at least one; None if the store failed."""

    async def close(self) -> None: ...


class LocalBuckets:
    """Buckets in this process's memory: each server process limits on its own."""

    def __init__(self) -> None:
        # key -> (tokens, updated, seconds to refill from empty)
        self.buckets: dict[str, tuple[float, float, float]] = {}

    async def take(self, key: str, bucket: Bucket, cost: int = 1) -> Decision | None:
        now = time.monotonic()
        tokens, updated, _ = self.buckets.get(key, (float(bucket.burst), now, 0.0))
        tokens = min(bucket.burst, tokens + (now - updated) * bucket.rate)
        allowed = tokens >= 1
        if cost:
            left = tokens - cost if allowed else tokens
            self.buckets[key] = (left, now, bucket.burst / bucket.rate)
            if len(self.buckets) > MAX_LOCAL_BUCKETS:
                self._forget_full(now)
        return bucket.decide(tokens, allowed, cost)

    def _forget_full(self, now: float) -> None:
        self.buckets = {
            key: state for key, state in self.buckets.items() if now - state[1] < state[2]
        }

    async def close(self) -> None:
        return None


# KEYS[1] the bucket; ARGV rate, burst, cost. Answers {allowed, tokens before taking}.
_TAKE_SCRIPT = """
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local state = redis.call('HMGET', KEYS[1], 'tokens', 'updated')
local tokens = tonumber(state[1]) or burst
local updated = tonumber(state[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - updated) * rate)
local allowed = 0
local left = tokens
if tokens >= 1 then
  allowed = 1
  left = tokens - cost
end
if cost > 0 then
  redis.call('HSET', KEYS[1], 'tokens', tostring(left), 'updated', tostring(now))
  redis.call('PEXPIRE', KEYS[1], math.ceil(burst / rate * 1000) + 1000)
end
return {allowed, tostring(tokens)}
"""


class RedisBuckets:
    """Buckets in Redis: every server process sharing the Redis shares the limit.

    If Redis does not answer, requests are let through (and the failure logged):
    the store stays available when its rate limiter is not.
    """

    def __init__(self, url: str) -> None:
        self.client = redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1)
        self.script = self.client.register_script(_TAKE_SCRIPT)

    async def take(self, key: str, bucket: Bucket, cost: int = 1) -> Decision | None:
        try:
            allowed, tokens = await self.script(
                keys=[REDIS_KEY_PREFIX + key], args=[bucket.rate, bucket.burst, cost]
            )
        except (RedisError, OSError) as error:
            logger.warning("rate limiter: Redis failed, letting the request through: %s", error)
            return None
        return bucket.decide(float(tokens), bool(allowed), cost)

    async def close(self) -> None:
        await self.client.aclose()


class Limit(StrEnum):
    """Whose rate a request is charged to; a dialect without a documented rate of its
    own (Invisible Collector, Customer.io) is charged to the native one."""

    NATIVE = "native"
    ATTENTIVE = "attentive"
    OPTIMOVE = "optimove"
    AUTH_FAILURES = "auth-failures"  # keyed by client address, not by key


class RateLimiter:
    """The configured limits over one bucket store; a limit set to 0 is off."""

    def __init__(self, store: BucketStore | None, limits: Mapping[Limit, Bucket]) -> None:
        self.store = store
        self.limits = dict(limits)

    async def take(self, key: str, limit: Limit = Limit.NATIVE, cost: int = 1) -> Decision | None:
        """Take `cost` tokens (0: only look) for `key` under `limit`; None when no limit applies."""
        bucket = self.limits.get(limit)
        if bucket is None or self.store is None:
            return None
        # The native buckets keep the bare key so existing Redis buckets carry over.
        name = key if limit is Limit.NATIVE else f"{limit}:{key}"
        return await self.store.take(name, bucket, cost)

    async def close(self) -> None:
        if self.store is not None:
            await self.store.close()


def configured_limits(settings: Settings) -> dict[Limit, Bucket]:
    rates = {
        Limit.NATIVE: (settings.rate_limit_per_second, settings.rate_limit_burst),
        Limit.ATTENTIVE: (
            settings.attentive_rate_limit_per_second,
            settings.attentive_rate_limit_burst,
        ),
        Limit.OPTIMOVE: (
            settings.optimove_rate_limit_per_second,
            settings.optimove_rate_limit_burst,
        ),
        Limit.AUTH_FAILURES: (
            settings.auth_failures_per_second,
            settings.auth_failures_burst,
        ),
    }
    return {limit: Bucket(rate, burst) for limit, (rate, burst) in rates.items() if rate > 0}


def rate_limiter(settings: Settings) -> RateLimiter:
    limits = configured_limits(settings)
    if not limits:
        return RateLimiter(None, limits)
    store: BucketStore = RedisBuckets(settings.redis_url) if settings.redis_url else LocalBuckets()
    return RateLimiter(store, limits)
