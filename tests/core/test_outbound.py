"""The outbound-call guard: private addresses refused, one resolution, timeouts, retries."""

import asyncio
import ipaddress
import threading
import time
from collections import Counter
from collections.abc import Iterator

import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from attrium.core.errors import OutboundFailed, OutboundRefused
from attrium.core.outbound import OutboundPolicy, resolve, send

LOCAL = OutboundPolicy(allow_private=True, timeout_seconds=2, backoff_seconds=0.01)

REFUSED_URLS = [
    "http://127.0.0.1/",
    "http://localhost:8000/",
    "http://10.1.2.3/",
    "http://192.168.0.1/",
    "http://172.16.5.4/",
    "http://169.254.169.254/latest/meta-data/",
    "http://[::1]/",
    "http://[fe80::1]/",
    "http://[::ffff:127.0.0.1]/",
    "http://0.0.0.0/",
    "http://100.64.0.1/",
    "http://224.0.0.1/",
    "http://[::127.0.0.1]/",
    "http://[::ffff:0:127.0.0.1]/",
    "http://[64:ff9b::127.0.0.1]/",
    "http://[2002:7f00:1::]/",
]

# IPv6 addresses that carry a refused IPv4 address, one per way of carrying it.
REFUSED_EMBEDDED = [
    "::127.0.0.1",  # IPv4-compatible
    "::10.0.0.1",
    "::ffff:169.254.169.254",  # IPv4-mapped
    "::ffff:0:127.0.0.1",  # IPv4-translated
    "::ffff:0:192.168.1.1",
    "64:ff9b::127.0.0.1",  # NAT64 well-known prefix
    "64:ff9b::a9fe:a9fe",
    "64:ff9b:1::7f00:1",  # NAT64 local-use prefix
    "64:ff9b:1::0.0.0.0",
    "2002:7f00:1::",  # 6to4
    "2002:a00:1::1",
    "2002:e000:1::1",  # 6to4 of a multicast address
    "2001:0:4136:e378:8000:63bf:80ff:fffe",  # Teredo, client 127.0.0.1
    "2001:0:4136:e378:8000:63bf:f5ff:fffe",  # Teredo, client 10.0.0.1
    "2001:0:a00:1:8000:63bf:f7f7:f7f7",  # Teredo, server 10.0.0.1
]

PERMITTED_PUBLIC = [
    "2606:4700::1111",
    "::8.8.8.8",
    "::ffff:8.8.8.8",
    "::ffff:0:8.8.8.8",
    "64:ff9b::8.8.8.8",
    "64:ff9b:1::808:808",
    "2002:808:808::1",
    "2001:0:4136:e378:8000:63bf:f7f7:f7f7",  # Teredo, client 8.8.8.8
]


class Upstream:
    """A small real HTTP server standing in for a vendor's callback endpoint."""

    def __init__(self) -> None:
        self.hits: Counter[str] = Counter()
        self.hosts: list[str] = []
        routes = [
            Route("/ok", self.ok, methods=["GET", "POST"]),
            Route("/flaky", self.flaky, methods=["POST"]),
            Route("/slow", self.slow),
            Route("/redirect", self.redirect),
        ]
        self.app = Starlette(routes=routes)

    async def ok(self, request: Request) -> Response:
        self.hits["ok"] += 1
        self.hosts.append(request.headers["host"])
        return JSONResponse({"received": await request.body() != b""})

    async def flaky(self, request: Request) -> Response:
        self.hits["flaky"] += 1
        return Response(status_code=503 if self.hits["flaky"] < 3 else 200)

    async def slow(self, request: Request) -> Response:
        self.hits["slow"] += 1
        await asyncio.sleep(1)
        return Response()

    async def redirect(self, request: Request) -> Response:
        return Response(status_code=302, headers={"location": "http://169.254.169.254/"})


@pytest.fixture(scope="module")
def upstream() -> Iterator[tuple[Upstream, int]]:
    served = Upstream()
    server = uvicorn.Server(uvicorn.Config(served.app, port=0, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline
        time.sleep(0.01)
    yield served, server.servers[0].sockets[0].getsockname()[1]
    server.should_exit = True
    thread.join(timeout=10)


@pytest.mark.parametrize("url", REFUSED_URLS)
def test_private_loopback_and_link_local_are_refused_by_default(url: str) -> None:
    with pytest.raises(OutboundRefused) as refused:
        asyncio.run(send("POST", url, OutboundPolicy(), json={}))
    assert refused.value.errors[0].rule == "url.private_address"


@pytest.mark.parametrize("address", REFUSED_EMBEDDED)
def test_an_ipv6_address_carrying_a_refused_ipv4_address_is_refused(address: str) -> None:
    assert not OutboundPolicy().permits(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", PERMITTED_PUBLIC)
def test_public_ipv6_and_public_embedded_ipv4_are_permitted(address: str) -> None:
    assert OutboundPolicy().permits(ipaddress.ip_address(address))


def test_the_allow_list_settings_apply_to_the_embedded_ipv4_address() -> None:
    loopback = OutboundPolicy(allowed_networks=(ipaddress.ip_network("127.0.0.0/8"),))
    assert loopback.permits(ipaddress.ip_address("::127.0.0.1"))
    assert loopback.permits(ipaddress.ip_address("64:ff9b::127.0.0.1"))
    assert loopback.permits(ipaddress.ip_address("2002:7f00:1::"))
    assert not loopback.permits(ipaddress.ip_address("64:ff9b::10.0.0.1"))
    nat64 = OutboundPolicy(allowed_networks=(ipaddress.ip_network("64:ff9b::/96"),))
    assert nat64.permits(ipaddress.ip_address("64:ff9b::10.0.0.1"))
    private = OutboundPolicy(allow_private=True)
    assert private.permits(ipaddress.ip_address("64:ff9b::10.0.0.1"))
    assert private.permits(ipaddress.ip_address("2002:7f00:1::"))
    assert not private.permits(ipaddress.ip_address("64:ff9b::224.0.0.1"))
    assert not private.permits(ipaddress.ip_address("::ffff:0:0.0.0.0"))


@pytest.mark.parametrize(
    "url", ["ftp://example.com/", "/relative", "http://user:pw@example.com/", "http://x:99999/"]
)
def test_other_urls_are_refused_naming_the_rule(url: str) -> None:
    with pytest.raises(OutboundRefused) as refused:
        asyncio.run(resolve(url, OutboundPolicy()))
    assert refused.value.errors[0].field == "url"


def test_a_host_with_any_private_address_is_refused() -> None:
    async def mixed(host: str, port: int) -> list[str]:
        return ["93.184.216.34", "10.0.0.7"]

    with pytest.raises(OutboundRefused):
        asyncio.run(resolve("https://example.com/", OutboundPolicy(), mixed))


def test_public_addresses_are_permitted() -> None:
    async def public(host: str, port: int) -> list[str]:
        return ["93.184.216.34"]

    target = asyncio.run(resolve("https://example.com/hook?a=1", OutboundPolicy(), public))
    assert target.connect_url() == "https://93.184.216.34:443/hook?a=1"
    assert target.host_header() == "example.com"


def test_an_allowed_network_opens_only_that_network(upstream: tuple[Upstream, int]) -> None:
    _, port = upstream
    policy = OutboundPolicy(allowed_networks=(ipaddress.ip_network("127.0.0.0/8"),))
    answer = asyncio.run(send("POST", f"http://127.0.0.1:{port}/ok", policy, json={"a": 1}))
    assert answer.json() == {"received": True}
    with pytest.raises(OutboundRefused):
        asyncio.run(resolve("http://10.0.0.1/", policy))


def test_the_host_is_resolved_once_and_the_checked_address_is_called(
    upstream: tuple[Upstream, int],
) -> None:
    served, port = upstream
    resolutions = []

    async def rebinding(host: str, port: int) -> list[str]:
        resolutions.append(host)
        if len(resolutions) > 1:
            return ["169.254.169.254"]  # a second answer that would point inside
        return ["127.0.0.1"]

    answer = asyncio.run(send("GET", f"http://callback.test:{port}/ok", LOCAL, resolver=rebinding))
    assert answer.status_code == 200
    assert resolutions == ["callback.test"]
    assert served.hosts[-1] == f"callback.test:{port}"


def test_transient_failures_are_retried_a_bounded_number_of_times(
    upstream: tuple[Upstream, int],
) -> None:
    served, port = upstream
    served.hits["flaky"] = 0
    answer = asyncio.run(send("POST", f"http://127.0.0.1:{port}/flaky", LOCAL, json={}))
    assert answer.status_code == 200
    assert served.hits["flaky"] == 3
    served.hits["flaky"] = 0
    two_tries = OutboundPolicy(allow_private=True, max_attempts=2, backoff_seconds=0.01)
    with pytest.raises(OutboundFailed, match="after 2 attempts: answered 503"):
        asyncio.run(send("POST", f"http://127.0.0.1:{port}/flaky", two_tries, json={}))
    assert served.hits["flaky"] == 2


def test_each_attempt_times_out(upstream: tuple[Upstream, int]) -> None:
    served, port = upstream
    impatient = OutboundPolicy(
        allow_private=True, timeout_seconds=0.2, max_attempts=2, backoff_seconds=0.01
    )
    served.hits["slow"] = 0
    with pytest.raises(OutboundFailed, match="ReadTimeout"):
        asyncio.run(send("GET", f"http://127.0.0.1:{port}/slow", impatient))
    assert served.hits["slow"] == 2


def test_redirects_are_not_followed(upstream: tuple[Upstream, int]) -> None:
    _, port = upstream
    answer = asyncio.run(send("GET", f"http://127.0.0.1:{port}/redirect", LOCAL))
    assert answer.status_code == 302
