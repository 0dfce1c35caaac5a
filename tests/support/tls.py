"""A second, HTTPS listener on a live backend, for vendor SDKs that only speak HTTPS."""

import asyncio
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import trustme
import uvicorn

from attrium.app import create_app
from tests.support.backends import START_TIMEOUT_SECONDS, LiveBackend


@dataclass(frozen=True)
class TlsListener:
    host: str
    port: int
    ca_bundle: Path


@contextmanager
def tls_listener(backend: LiveBackend, folder: Path) -> Iterator[TlsListener]:
    """Serve the backend's database over HTTPS with a certificate from a test CA."""
    authority = trustme.CA()
    certificate = authority.issue_cert("127.0.0.1")
    key_path, cert_path, ca_path = folder / "key.pem", folder / "cert.pem", folder / "ca.pem"
    certificate.private_key_pem.write_to_path(str(key_path))
    certificate.cert_chain_pems[0].write_to_path(str(cert_path))
    authority.cert_pem.write_to_path(str(ca_path))
    config = uvicorn.Config(
        create_app(backend.settings, backend.db),
        host="127.0.0.1",
        port=0,
        log_level="warning",
        ssl_keyfile=str(key_path),
        ssl_certfile=str(cert_path),
    )
    server = uvicorn.Server(config)
    serving = asyncio.run_coroutine_threadsafe(server.serve(), backend.loop)
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while not server.started:
        if time.monotonic() > deadline or serving.done():
            pytest.fail("the HTTPS test listener did not start")
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield TlsListener("127.0.0.1", port, ca_path)
    finally:
        server.should_exit = True
        serving.result(timeout=10)
