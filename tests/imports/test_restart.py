"""A server killed mid-import resumes the job when it comes back: no row twice, none lost."""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.support.imports import ndjson

ROWS = 1000


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _attrium(env: dict[str, str], *arguments: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "attrium", *arguments],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    lines = done.stdout.strip().splitlines()
    return lines[-1] if lines else ""


def _serve(env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    server = subprocess.Popen(
        [sys.executable, "-m", "attrium", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200:
                return server
        except httpx.TransportError:
            time.sleep(0.05)
    server.kill()
    pytest.fail("attrium serve did not come up")


def test_a_killed_server_resumes_the_import(tmp_path: Path) -> None:
    env = {key: value for key, value in os.environ.items() if not key.startswith("ATTRIUM_")}
    env |= {
        "ATTRIUM_DATABASE_URL": f"sqlite:///{tmp_path / 'restart.db'}",
        "ATTRIUM_IMPORT_BATCH_ROWS": "20",
        "ATTRIUM_IMPORT_LEASE_SECONDS": "1",
        "ATTRIUM_IMPORT_POLL_SECONDS": "0.1",
    }
    _attrium(env, "migrate")
    _attrium(env, "workspaces", "create", "restart")
    token = _attrium(env, "keys", "create", "--workspace", "restart")
    port = _free_port()
    headers = {"Authorization": f"Bearer {token}"}
    rows = [{"id": f"c{n}", "attributes": {"n": n}} for n in range(ROWS)]
    server = _serve(env, port)
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=headers) as api:
        job_id = api.post("/v1/imports", content=ndjson(rows)).json()["id"]
        seen = api.get(f"/v1/imports/{job_id}").json()
        while seen["rows_read"] == 0:
            seen = api.get(f"/v1/imports/{job_id}").json()
    server.send_signal(signal.SIGKILL)
    server.wait(timeout=10)
    assert seen["state"] == "running", "the import finished before the server could be killed"
    server = _serve(env, port)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=headers) as api:
            deadline = time.monotonic() + 120
            job = api.get(f"/v1/imports/{job_id}").json()
            while job["state"] != "done" and time.monotonic() < deadline:
                time.sleep(0.1)
                job = api.get(f"/v1/imports/{job_id}").json()
            assert (job["state"], job["rows_read"], job["applied"]) == ("done", ROWS, ROWS)
            for customer in ("c0", f"c{ROWS // 2}", f"c{ROWS - 1}"):
                history = api.get(f"/v1/customers/{customer}/activity").json()["items"]
                assert [item["type"] for item in history].count("customer_created") == 1
            assert len(api.get("/v1/customers", params={"limit": 1000}).json()["items"]) == 1000
    finally:
        server.terminate()
        server.wait(timeout=20)
