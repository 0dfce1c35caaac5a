"""An interrupted import resumes from its last committed batch: no row twice, none lost."""

import gzip
import time
from datetime import timedelta

import httpx

from attrium.imports import apply
from attrium.imports.apply import RunnerConfig
from tests.support.backends import LiveBackend
from tests.support.imports import ndjson, upload
from tests.support.workspaces import new_workspace

LEASE = timedelta(seconds=0.5)


def test_a_job_resumes_after_its_runner_dies(idle_backend: LiveBackend) -> None:
    workspace = new_workspace(idle_backend)
    rows = [{"id": f"c{number}", "attributes": {"n": number}} for number in range(450)]
    rows[120]["attributes"] = {"n": "not a number"}
    with workspace.client() as api:
        job_id = upload(api, ndjson(rows))["id"]
        first = RunnerConfig("first", batch_rows=100, lease=LEASE)
        claimed = idle_backend.run(apply.claim_next(idle_backend.db, first))
        assert claimed is not None
        assert claimed["job_id"] == job_id
        # The first runner commits two batches, then dies holding its lease.
        idle_backend.run(
            apply.run_job(idle_backend.db, idle_backend.settings, claimed, first, max_batches=2)
        )
        assert _progress(api, job_id) == ("running", 200, 199, 1)
        second = RunnerConfig("second", batch_rows=100, lease=LEASE)
        assert idle_backend.run(apply.claim_next(idle_backend.db, second)) is None
        time.sleep(LEASE.total_seconds() + 0.1)
        resumed = idle_backend.run(apply.claim_next(idle_backend.db, second))
        assert resumed is not None
        assert resumed["next_record"] == 200
        # The first runner wakes up: it lost the job and applies nothing more.
        idle_backend.run(apply.run_job(idle_backend.db, idle_backend.settings, claimed, first))
        assert _progress(api, job_id) == ("running", 200, 199, 1)
        idle_backend.run(apply.run_job(idle_backend.db, idle_backend.settings, resumed, second))
        assert _progress(api, job_id) == ("done", 450, 449, 1)
        created = [_created_entries(api, f"c{number}") for number in (0, 199, 200, 449)]
        assert created == [1, 1, 1, 1]
        assert api.get("/v1/customers/c449").json()["attributes"] == {"n": 449}


def _progress(api: httpx.Client, job_id: str) -> tuple[str, int, int, int]:
    job = api.get(f"/v1/imports/{job_id}").json()
    return job["state"], job["rows_read"], job["applied"], job["rejected"]


def _created_entries(api: httpx.Client, customer: str) -> int:
    items = api.get(f"/v1/customers/{customer}/activity").json()["items"]
    return sum(1 for item in items if item["type"] == "customer_created")


def test_an_upload_broken_midway_fails_after_the_batches_before_the_break(
    idle_backend: LiveBackend,
) -> None:
    """The next batch is read while one applies: a read error still ends the job after
    the batches read before it, with their progress."""
    workspace = new_workspace(idle_backend)
    rows = [{"id": f"c{number}", "attributes": {"n": number}} for number in range(450)]
    cut = gzip.compress(ndjson(rows))[:-40]
    with workspace.client() as api:
        job_id = upload(api, cut)["id"]
        config = RunnerConfig("only", batch_rows=100, lease=LEASE)
        claimed = idle_backend.run(apply.claim_next(idle_backend.db, config))
        assert claimed is not None
        idle_backend.run(apply.run_job(idle_backend.db, idle_backend.settings, claimed, config))
        job = api.get(f"/v1/imports/{job_id}").json()
        assert (job["state"], job["error"]) == ("failed", "the gzip stream ends early"), job
        assert job["rows_read"] == job["applied"] == 400, job
        assert api.get("/v1/customers/c399").json()["attributes"] == {"n": 399}


def test_a_batch_ends_once_its_lines_reach_the_text_limit(idle_backend: LiveBackend) -> None:
    """Long lines make short batches: a batch never holds much more text than the limit."""
    workspace = new_workspace(idle_backend)
    rows = [{"id": f"c{number}", "attributes": {"note": "x" * 500}} for number in range(10)]
    line_bytes = len(ndjson(rows[:1]))
    with workspace.client() as api:
        job_id = upload(api, ndjson(rows))["id"]
        config = RunnerConfig("only", batch_rows=100, lease=LEASE, batch_text_bytes=1200)
        claimed = idle_backend.run(apply.claim_next(idle_backend.db, config))
        assert claimed is not None
        idle_backend.run(
            apply.run_job(idle_backend.db, idle_backend.settings, claimed, config, max_batches=1)
        )
        assert line_bytes * 2 < 1200 <= line_bytes * 3
        assert _progress(api, job_id) == ("running", 3, 3, 0)
