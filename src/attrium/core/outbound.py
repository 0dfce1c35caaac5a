"""Calls the server makes to URLs it was given (vendor callbacks, webhooks), guarded.

- Only http and https; no redirects followed (a redirect could point inside).
- The host is resolved once; every address it resolves to must be public (not
  private, loopback, link-local, multicast, reserved or unspecified) unless
  `ATTRIUM_OUTBOUND_ALLOW_PRIVATE` or `ATTRIUM_OUTBOUND_ALLOWED_NETWORKS` allows
  it. An IPv6 address that carries an IPv4 address (IPv4-compatible, -mapped,
  -translated, NAT64, 6to4, Teredo) reaches that IPv4 address through a
  translator or tunnel, so the IPv4 address it carries is the one judged.
- The connection goes to the checked address (the `Host` header and TLS name
  stay the original host), so a second DNS answer cannot redirect it.
- Every attempt has a timeout; connection failures, timeouts, 429 and 5xx are
  retried a bounded number of times with exponential backoff.
"""

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx

from attrium.core.errors import FieldError, OutboundFailed, OutboundRefused
from attrium.core.settings import Settings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolver = Callable[[str, int], Awaitable[list[str]]]

RETRIED_STATUSES = frozenset({429, 500, 502, 503, 504})
DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True, slots=True)
class OutboundPolicy:
    allow_private: bool = False
    allowed_networks: tuple[IPNetwork, ...] = ()
    timeout_seconds: float = 10.0
    max_attempts: int = 3
    backoff_seconds: float = 0.5

    @classmethod
    def from_settings(cls, settings: Settings) -> "OutboundPolicy":
        return cls(
            allow_private=settings.outbound_allow_private,
            allowed_networks=tuple(
                ipaddress.ip_network(network, strict=False)
                for network in settings.outbound_allowed_networks
            ),
            timeout_seconds=settings.outbound_timeout_seconds,
            max_attempts=settings.outbound_max_attempts,
        )

    def permits(self, address: IPAddress) -> bool:
        if self._in_allowed_network(address):
            return True
        return all(
            self._in_allowed_network(reached) or self._public_enough(reached)
            for reached in reached_addresses(address)
        )

    def _in_allowed_network(self, address: IPAddress) -> bool:
        return any(address in network for network in self.allowed_networks)

    def _public_enough(self, address: IPAddress) -> bool:
        if self.allow_private:
            return not address.is_unspecified and not address.is_multicast
        return address.is_global and not address.is_multicast


# IPv4-compatible (::a.b.c.d), IPv4-translated (::ffff:0:a.b.c.d, RFC 2765), NAT64
# well-known (RFC 6052) and local-use (RFC 8215) prefixes: the IPv4 address is the
# last 32 bits. In the local-use /48 an operator may place it elsewhere (RFC 6052
# prefix lengths 48 to 64); only the common /96 placement is decoded.
LAST_32_BITS_PREFIXES = tuple(
    ipaddress.IPv6Network(prefix)
    for prefix in ("::/96", "::ffff:0:0:0/96", "64:ff9b::/96", "64:ff9b:1::/48")
)


def reached_addresses(address: IPAddress) -> tuple[IPAddress, ...]:
    """The addresses a connection to `address` reaches: the IPv4 ones it carries, or itself."""
    if isinstance(address, ipaddress.IPv4Address):
        return (address,)
    if address.ipv4_mapped is not None:
        return (address.ipv4_mapped,)
    if address.sixtofour is not None:
        return (address.sixtofour,)
    if address.teredo is not None:
        return address.teredo  # (server, client), the client's bits un-inverted
    if any(address in prefix for prefix in LAST_32_BITS_PREFIXES):
        return (ipaddress.IPv4Address(int(address) & 0xFFFFFFFF),)
    return (address,)


@dataclass(frozen=True, slots=True)
class Target:
    """Where a URL points, resolved and checked: connect to `address`, name `host`."""

    scheme: str
    host: str
    port: int
    address: str
    url: str

    def connect_url(self) -> str:
        parts = urlsplit(self.url)
        literal = f"[{self.address}]" if ":" in self.address else self.address
        return urlunsplit(parts._replace(netloc=f"{literal}:{self.port}"))

    def host_header(self) -> str:
        default = DEFAULT_PORTS[self.scheme] == self.port
        name = f"[{self.host}]" if ":" in self.host else self.host
        return name if default else f"{name}:{self.port}"


async def system_resolver(host: str, port: int) -> list[str]:
    infos = await asyncio.get_running_loop().getaddrinfo(
        host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP
    )
    return [str(info[4][0]) for info in infos]


async def resolve(
    url: str, policy: OutboundPolicy, resolver: Resolver = system_resolver, field: str = "url"
) -> Target:
    """Resolve `url`'s host once and check every address; refuse with a field error."""
    parts = urlsplit(url)
    if parts.scheme not in DEFAULT_PORTS or not parts.hostname:
        raise _refused(field, "url.scheme", "only absolute http:// and https:// URLs are called")
    if parts.username or parts.password:
        raise _refused(field, "url.credentials", "URLs with credentials are not called")
    try:
        port = parts.port or DEFAULT_PORTS[parts.scheme]
    except ValueError:
        raise _refused(field, "url.port", "the port is not a number from 0 to 65535") from None
    host = parts.hostname
    try:
        addresses = await resolver(host, port)
    except OSError as error:
        raise _refused(field, "url.unresolvable", f"{host!r} does not resolve: {error}") from None
    if not addresses:
        raise _refused(field, "url.unresolvable", f"{host!r} does not resolve")
    for address in addresses:
        if not policy.permits(ipaddress.ip_address(address.split("%", 1)[0])):
            raise _refused(
                field,
                "url.private_address",
                f"{host!r} resolves to {address}, a private, loopback or link-local "
                "address, which outbound calls may not reach",
            )
    return Target(parts.scheme, host, port, addresses[0], url)


def _refused(field: str, rule: str, message: str) -> OutboundRefused:
    return OutboundRefused(message, [FieldError(field, rule, message)])


async def send(
    method: str,
    url: str,
    policy: OutboundPolicy,
    *,
    json: Any = None,
    headers: Mapping[str, str] | None = None,
    resolver: Resolver = system_resolver,
) -> httpx.Response:
    """One guarded call, retried on transient failure; the answer, unless it never came.

    Raises `OutboundRefused` before connecting to a refused address, and
    `OutboundFailed` when every attempt failed or answered 429/5xx.
    """
    target = await resolve(url, policy, resolver)
    request_headers = {**(headers or {}), "Host": target.host_header()}
    extensions = {"sni_hostname": target.host} if target.scheme == "https" else {}
    last_failure = ""
    async with httpx.AsyncClient(
        timeout=policy.timeout_seconds, follow_redirects=False, trust_env=False
    ) as client:
        for attempt in range(1, policy.max_attempts + 1):
            try:
                response = await client.request(
                    method,
                    target.connect_url(),
                    json=json,
                    headers=request_headers,
                    extensions=extensions,
                )
            except httpx.TransportError as error:
                last_failure = f"{type(error).__name__}: {error}"
            else:
                if response.status_code not in RETRIED_STATUSES:
                    return response
                last_failure = f"answered {response.status_code}"
            if attempt < policy.max_attempts:
                await asyncio.sleep(policy.backoff_seconds * 2 ** (attempt - 1))
    raise OutboundFailed(
        f"{method} {target.host} failed after {policy.max_attempts} attempts: {last_failure}"
    )
