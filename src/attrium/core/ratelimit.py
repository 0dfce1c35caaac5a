"""Per-key token buckets: in this process by default, shared through Redis when configured.

A bucket holds at most `burst` tokens and refills at `rate` tokens per second; each
request takes one. With Redis the bucket lives in Redis and a Lua script takes the
token atomically, with Redis's clock, so every server process draws from one bucket.
"""

import logging
import math
import time
from dataclasses import dataclass
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

    def decide(self, tokens_before: float, allowed: bool) -> Decision:
        tokens = tokens_before - 1 if allowed else tokens_before
        return Decision(
            allowed=allowed,
            limit=self.burst,
            remaining=max(0, math.floor(tokens)),
            reset_seconds=(self.burst - tokens) / self.rate,
            retry_after_seconds=0.0 if allowed else (1 - tokens) / self.rate,
        )


class RateLimiter(Protocol):
    async def take(self, key: str) -> Decision | None:
        """Take one token for `key`; None when no limit applies."""

    async def close(self) -> None: ...


class NoLimit:
    async def take(self, key: str) -> Decision | None:
        return None

    async def close(self) -> None:
        return None


class LocalLimiter:
    """Buckets in this process's memory: each server process limits on its own."""

    def __init__(self, bucket: Bucket) -> None:
        self.bucket = bucket
        self.buckets: dict[str, tuple[float, float]] = {}

    async def take(self, key: str) -> Decision | None:
        now = time.monotonic()
        tokens, updated = self.buckets.get(key, (float(self.bucket.burst), now))
        tokens = min(self.bucket.burst, tokens + (now - updated) * self.bucket.rate)
        allowed = tokens >= 1
        self.buckets[key] = (tokens - 1 if allowed else tokens, now)
        if len(self.buckets) > MAX_LOCAL_BUCKETS:
            self._forget_full(now)
        return self.bucket.decide(tokens, allowed)

    def _forget_full(self, now: float) -> None:
        refill_seconds = self.bucket.burst / self.bucket.rate
        self.buckets = {
            key: state for key, state in self.buckets.items() if now - state[1] < refill_seconds
        }

    async def close(self) -> None:
        return None


# KEYS[1] the bucket; ARGV rate, burst. Answers {allowed, tokens before taking}.
_TAKE_SCRIPT = """
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
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
  left = tokens - 1
end
redis.call('HSET', KEYS[1], 'tokens', tostring(left), 'updated', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst / rate * 1000) + 1000)
return {allowed, tostring(tokens)}
"""


class RedisLimiter:
    """Buckets in Redis: every server process sharing the Redis shares the limit.

    If Redis does not answer, requests are let through (and the failure logged):
    the store stays available when its rate limiter is not.
    """

    def __init__(self, bucket: Bucket, url: str) -> None:
        self.bucket = bucket
        self.client = redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1)
        self.script = self.client.register_script(_TAKE_SCRIPT)

    async def take(self, key: str) -> Decision | None:
        try:
            allowed, tokens = await self.script(
                keys=[REDIS_KEY_PREFIX + key], args=[self.bucket.rate, self.bucket.burst]
            )
        except (RedisError, OSError) as error:
            logger.warning("rate limiter: Redis failed, letting the request through: %s", error)
            return None
        return self.bucket.decide(float(tokens), bool(allowed))

    async def close(self) -> None:
        await self.client.aclose()


def rate_limiter(settings: Settings) -> RateLimiter:
    if settings.rate_limit_per_second <= 0:
        return NoLimit()
    bucket = Bucket(settings.rate_limit_per_second, settings.rate_limit_burst)
    if settings.redis_url:
        return RedisLimiter(bucket, settings.redis_url)
    return LocalLimiter(bucket)
