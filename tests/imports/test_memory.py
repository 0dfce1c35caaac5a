"""An import frees each batch once applied: refused rows leave nothing behind."""

import gc
import tracemalloc
from datetime import timedelta

from attrium.imports import apply
from attrium.imports.apply import RunnerConfig
from tests.support.backends import LiveBackend
from tests.support.imports import ndjson, upload
from tests.support.workspaces import new_workspace


def test_refused_rows_are_freed_without_a_garbage_collection(idle_backend: LiveBackend) -> None:
    """A caught error's traceback once held its batch in a reference cycle, so every
    past batch stayed in memory until a full collection (hundreds of MB for big rows)."""
    workspace = new_workspace(idle_backend)
    notes = {f"note{n}": "x" * 900 for n in range(40)}
    # Refused when applied (a string for a number), after every value was read.
    rows = [{"id": f"c{n}", "attributes": {**notes, "n": "x"}} for n in range(200)]
    with workspace.client() as api:
        api.post("/v1/attributes", json={"name": "n", "type": "number"})
        job_id = upload(api, ndjson(rows))["id"]
    config = RunnerConfig("only", batch_rows=50, lease=timedelta(seconds=30))
    claimed = idle_backend.run(apply.claim_next(idle_backend.db, config))
    assert claimed is not None
    assert claimed["job_id"] == job_id
    gc.collect()
    gc.disable()
    tracemalloc.start()
    try:
        idle_backend.run(apply.run_job(idle_backend.db, idle_backend.settings, claimed, config))
        left, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        gc.enable()
    with workspace.client() as api:
        job = api.get(f"/v1/imports/{job_id}").json()
    assert (job["state"], job["rejected"]) == ("done", 200)
    # The rows held 7 MB of values; what stays is the database driver's caches.
    assert left < 2 * 1024**2
