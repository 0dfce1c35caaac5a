"""A second, HTTPS listener on a live backend, for vendor SDKs that only speak HTTPS."""

import asyncio
import socket
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
    dialect_ports: dict[str, int]  # dialects served at the root of a port of their own


@contextmanager
def tls_listener(
    backend: LiveBackend, folder: Path, dialects: tuple[str, ...] = ()
) -> Iterator[TlsListener]:
    """Serve the backend's database over HTTPS with a certificate from a test CA, on a
    port of its own and on one more port per dialect in `dialects`, as
    `attrium serve --dialect-port` does (one server, every socket)."""
    authority = trustme.CA()
    certificate = authority.issue_cert("127.0.0.1")
    key_path, cert_path, ca_path = folder / "key.pem", folder / "cert.pem", folder / "ca.pem"
    certificate.private_key_pem.write_to_path(str(key_path))
    certificate.cert_chain_pems[0].write_to_path(str(cert_path))
    authority.cert_pem.write_to_path(str(ca_path))
    sockets = [_listening_socket() for _ in range(len(dialects) + 1)]
    ports = [sock.getsockname()[1] for sock in sockets]
    dialect_ports = dict(zip(dialects, ports[1:], strict=True))
    settings = backend.settings.model_copy(update={"dialect_ports": dialect_ports})
    config = uvicorn.Config(
        create_app(settings, backend.db),
        log_level="warning",
        ssl_keyfile=str(key_path),
        ssl_certfile=str(cert_path),
    )
    server = uvicorn.Server(config)
    serving = asyncio.run_coroutine_threadsafe(server.serve(sockets), backend.loop)
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while not server.started:
        if time.monotonic() > deadline or serving.done():
            pytest.fail("the HTTPS test listener did not start")
        time.sleep(0.01)
    try:
        yield TlsListener("127.0.0.1", ports[0], ca_path, dialect_ports)
    finally:
        server.should_exit = True
        serving.result(timeout=10)


def _listening_socket() -> socket.socket:
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock
