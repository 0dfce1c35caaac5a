"""Uploads that never finish are given up, and imported rows are counted in /metrics."""

import re
import socket
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from sqlalchemy import func, select

from attrium.core.clock import utcnow
from attrium.imports import store
from tests.support.backends import BACKEND_NAMES, LiveBackend, start_backend
from tests.support.imports import import_rows, ndjson
from tests.support.workspaces import TestWorkspace, new_workspace

CHUNK_BYTES = 1024


@pytest.fixture(params=BACKEND_NAMES)
def impatient_backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[LiveBackend]:
    """A server that gives up an upload idle for half a second."""
    live = start_backend(
        request.param,
        tmp_path,
        import_upload_idle_seconds=0.5,
        import_poll_seconds=0.1,
        import_chunk_bytes=CHUNK_BYTES,
        database_pool_size=4,
    )
    yield live
    live.stop()


def test_an_upload_cut_off_by_its_client_fails_and_leaves_no_chunks(
    impatient_backend: LiveBackend,
) -> None:
    workspace = new_workspace(impatient_backend)
    _post_part_of_an_upload(workspace, sent=CHUNK_BYTES * 3, declared=CHUNK_BYTES * 100)
    with workspace.client() as api:
        job = _only_job(api, lambda job: job["state"] == "failed")
    assert job["error"] == "the upload stopped before its end"
    assert _chunks_of(impatient_backend, workspace, job["id"]) == 0


def test_an_upload_whose_server_died_is_failed_by_the_runner(
    impatient_backend: LiveBackend,
) -> None:
    workspace = new_workspace(impatient_backend)
    impatient_backend.run(_orphan_upload(impatient_backend, workspace, "imp_orphan"))
    with workspace.client() as api:
        job = _only_job(api, lambda job: job["state"] == "failed")
    assert job["id"] == "imp_orphan"
    assert job["error"] == "the upload stopped before its end"
    assert _chunks_of(impatient_backend, workspace, "imp_orphan") == 0


def test_imported_rows_are_counted_by_outcome(api: httpx.Client) -> None:
    before = _import_rows_metric(api)
    rows = [{"id": "m1", "attributes": {"n": 1}}, {"id": "m2", "attributes": {"n": "x"}}]
    rows += [{"id": "m3", "attributes": {"n": 2}}]
    api.post("/v1/attributes", json={"name": "n", "type": "number"})
    job = import_rows(api, ndjson(rows))
    assert (job["applied"], job["rejected"]) == (2, 1)
    after = _import_rows_metric(api)
    # Other tests of this process may import meanwhile: at least this job is counted.
    assert after["applied"] - before["applied"] >= 2
    assert after["rejected"] - before["rejected"] >= 1


def _post_part_of_an_upload(workspace: TestWorkspace, sent: int, declared: int) -> None:
    """Send the start of a body longer than what is sent, then hang up."""
    address = urlsplit(workspace.backend.base_url)
    head = (
        "POST /v1/imports?format=ndjson HTTP/1.1\r\n"
        f"Host: {address.netloc}\r\n"
        f"Authorization: Bearer {workspace.token}\r\n"
        f"Content-Length: {declared}\r\n\r\n"
    ).encode()
    line = ndjson([{"id": "c1", "attributes": {"n": 1}}])
    body = (line * (sent // len(line) + 1))[:sent]
    with socket.create_connection((address.hostname or "", address.port or 80)) as connection:
        connection.sendall(head + body)
        time.sleep(0.3)  # the server stores the chunks it got before the hang-up


def _only_job(api: httpx.Client, settled: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
    deadline = time.monotonic() + 20
    while True:
        jobs = api.get("/v1/imports").json()["items"]
        if len(jobs) == 1 and settled(jobs[0]):
            return dict(jobs[0])
        assert time.monotonic() < deadline, f"the upload was not given up: {jobs}"
        time.sleep(0.1)


async def _orphan_upload(backend: LiveBackend, workspace: TestWorkspace, job_id: str) -> None:
    """A job left `uploading` with a stored chunk, as by a server killed mid-upload."""
    long_ago = utcnow() - timedelta(hours=1)
    row = {
        "workspace_id": workspace.workspace.workspace_id,
        "job_id": job_id,
        "state": "uploading",
        "format": "ndjson",
        "scopes": [],
        "upload_bytes": 0,
        "chunks": 0,
        "next_record": 0,
        "rows_read": 0,
        "applied": 0,
        "rejected": 0,
        "conflicts": 0,
        "created_at": long_ago,
        "updated_at": long_ago,
    }
    async with backend.db.transaction() as connection:
        await store.insert_job(connection, row)
        await connection.execute(
            store.import_chunks.insert().values(
                workspace_id=row["workspace_id"], job_id=job_id, seq=0, data=b"{}\n"
            )
        )


def _chunks_of(backend: LiveBackend, workspace: TestWorkspace, job_id: str) -> int:
    async def count() -> int:
        chunks = store.import_chunks.c
        query = select(func.count()).where(
            chunks.workspace_id == workspace.workspace.workspace_id, chunks.job_id == job_id
        )
        async with backend.db.reader() as connection:
            return int((await connection.execute(query)).scalar_one())

    return backend.run(count())


def _import_rows_metric(api: httpx.Client) -> dict[str, float]:
    text = api.get("/metrics").text
    found = dict.fromkeys(("applied", "rejected"), 0.0)
    for outcome, value in re.findall(r'attrium_import_rows_total\{outcome="(\w+)"\} (\S+)', text):
        found[outcome] = float(value)
    return found
