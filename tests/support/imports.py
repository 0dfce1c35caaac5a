"""Uploading import files and waiting for their jobs."""

import gzip
import time
from typing import Any

import httpx
import orjson


def ndjson(rows: list[dict[str, Any]]) -> bytes:
    return b"".join(orjson.dumps(row) + b"\n" for row in rows)


def upload(
    api: httpx.Client,
    content: bytes,
    *,
    import_format: str = "ndjson",
    compress: bool = False,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    body = gzip.compress(content) if compress else content
    answer = api.post(
        "/v1/imports", params={"format": import_format}, content=body, headers=headers or {}
    )
    assert answer.status_code == 202, answer.text
    job: dict[str, Any] = answer.json()
    return job


def wait_for(api: httpx.Client, job_id: str, timeout: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job: dict[str, Any] = api.get(f"/v1/imports/{job_id}").json()
        if job["state"] in ("done", "failed"):
            return job
        time.sleep(0.05)
    raise AssertionError(f"import {job_id} did not finish: {job}")


def import_rows(api: httpx.Client, content: bytes, **options: Any) -> dict[str, Any]:
    job = upload(api, content, **options)
    return wait_for(api, job["id"])


def rejected(api: httpx.Client, job_id: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = api.get(f"/v1/imports/{job_id}/errors").json()["items"]
    return items
