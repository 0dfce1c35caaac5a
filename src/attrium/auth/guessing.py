"""A budget of failed authentications per client address, so keys cannot be guessed fast.

Each unknown key presented from an address takes a token from that address's bucket
(`ATTRIUM_AUTH_FAILURES_BURST`, refilled at `ATTRIUM_AUTH_FAILURES_PER_SECOND`); a
known key takes none. The bucket is looked at before a key is checked: once it is
empty, every key from that address, a right one too, is answered 429 until it
refills, so a guesser cannot tell a hit from a miss meanwhile. IPv6 clients are
counted by their /64, the block one host can pick addresses from.
"""

import ipaddress
from collections.abc import Mapping
from typing import Any

from attrium.core import metrics
from attrium.core.errors import RateLimited
from attrium.core.ratelimit import Limit, RateLimiter

IPV6_HOST_PREFIX = 64


def client_address(scope: Mapping[str, Any]) -> str:
    """Whom a request's failures are counted against: its peer's address (or /64)."""
    client = scope.get("client")
    if not client:
        return "unknown"
    host = str(client[0])
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is None:
        return str(ipaddress.IPv6Network((address, IPV6_HOST_PREFIX), strict=False))
    return host


async def refuse_while_guessing(limiter: RateLimiter, address: str) -> None:
    """Refuse with 429 while `address` has no failures left to spend."""
    decision = await limiter.take(address, Limit.AUTH_FAILURES, cost=0)
    if decision is not None and not decision.allowed:
        metrics.RATE_LIMITED.inc()
        raise RateLimited(
            "too many unknown API keys from this address; retry later",
            decision.retry_after_seconds,
        )


async def count_failure(limiter: RateLimiter, address: str) -> None:
    await limiter.take(address, Limit.AUTH_FAILURES)
