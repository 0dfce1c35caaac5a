"""`python -m bench`: measure, then write bench/results.json and docs/benchmarks.md."""

import json
import os
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import asof, batch, catalog, dataset, imports, report, segments, tools, upserts
from bench.config import BenchConfig, load
from bench.machine import describe
from bench.seed import blank_customers, seed_customers
from bench.server import Server, create_workspace, fresh_database_url, settle

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results.json"


def say(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def main() -> None:
    config = load()
    tools.ensure_installed(config)
    folder = Path(os.environ.get("BENCH_DIR") or tempfile.mkdtemp(prefix="attrium-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    say(f"sizes {config.as_dict()}; scratch files in {folder}")
    results: dict[str, Any] = {
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "config": config.as_dict(),
        "machine": describe(config),
        "backends": {},
    }
    for backend in config.backends:
        results["backends"][backend] = run_backend(config, backend, folder)
    results["finished_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    results["ratios"] = report.ratios(results)
    if config.only:
        # A partial run must not replace the recorded full one.
        partial = folder / "results.json"
        partial.write_text(json.dumps(results, indent=2) + "\n")
        say(f"BENCH_ONLY: wrote {partial} (bench/results.json and docs left alone)")
    else:
        RESULTS.write_text(json.dumps(results, indent=2) + "\n")
        report.write(results, ROOT / "docs" / "benchmarks.md")
        say(f"wrote {RESULTS.relative_to(ROOT)} and docs/benchmarks.md")
    print(report.summary_table(results))


def run_backend(config: BenchConfig, backend: str, folder: Path) -> dict[str, Any]:
    say(f"{backend}: fresh database, server with {config.workers} worker(s)")
    database_url = fresh_database_url(config, backend, folder)
    server = Server(database_url, config.workers, folder / f"{backend}-server.log")
    found: dict[str, Any] = {}
    if config.measures("upserts"):
        _upserts(config, backend, server, database_url, folder, found)
    if config.measures("batch"):
        _batch(config, backend, server, database_url, folder, found)
    if config.measures("import") or config.measures("segments"):
        server.start()
        found.setdefault("server_command", " ".join(server.command()))
        try:
            _bulk(config, backend, server, database_url, folder, found)
        finally:
            server.stop()
    if config.measures("catalog"):
        _catalog(config, backend, server, database_url, found)
    if config.measures("asof"):
        _asof(config, backend, server, database_url, found)
    return found


def _asof(
    config: BenchConfig, backend: str, server: Server, database_url: str, found: dict[str, Any]
) -> None:
    server.start()
    found.setdefault("server_command", " ".join(server.command()))
    try:
        workspace_id, token = create_workspace(server.env, "bench-asof")
        _define_attributes(server, token)
        say(f"{backend}: as-of data, {config.asof_customers} customers")
        entries = asof.seed(config, database_url, workspace_id)
        settle(backend, database_url)
        say(f"{backend}: segment count now and as of 30 days ago ({entries} entries)")
        measured = asof.counts(server, token, config.segment_repeats, database_url, workspace_id)
        found["asof"] = {**measured, "entries": entries}
    finally:
        server.stop()


def _catalog(
    config: BenchConfig, backend: str, server: Server, database_url: str, found: dict[str, Any]
) -> None:
    server.start()
    found.setdefault("server_command", " ".join(server.command()))
    try:
        say(f"{backend}: catalog read at {config.catalog_customers} customers")
        found["catalog"] = catalog.attrium_catalog(config, server, database_url)
    finally:
        server.stop()


def _upserts(
    config: BenchConfig,
    backend: str,
    server: Server,
    database_url: str,
    folder: Path,
    found: dict[str, Any],
) -> None:
    server.start()
    found["server_command"] = " ".join(server.command())
    try:
        say(f"{backend}: seeding {config.customers} customers")
        seed_customers(database_url, server.workspace_id, blank_customers(config.customers))
        settle(backend, database_url)
        say(f"{backend}: upserts through Attrium ({config.duration}s)")
        found["upserts"] = upserts.attrium_upserts(config, server)
    finally:
        server.stop()
    # The ceiling runs alone: the server's connections and CPU are given back first.
    settle(backend, database_url)
    say(f"{backend}: upsert ceiling ({config.duration}s)")
    found["upsert_ceiling"] = _upsert_ceiling(config, backend, database_url, folder)


def _batch(
    config: BenchConfig,
    backend: str,
    server: Server,
    database_url: str,
    folder: Path,
    found: dict[str, Any],
) -> None:
    """The batch route on the upserts' customers, against the same upsert ceiling."""
    server.start()
    found.setdefault("server_command", " ".join(server.command()))
    try:
        if not config.measures("upserts"):
            say(f"{backend}: seeding {config.customers} customers")
            seed_customers(database_url, server.workspace_id, blank_customers(config.customers))
        settle(backend, database_url)
        say(f"{backend}: batch route, {batch.ITEMS_PER_REQUEST} writes each ({config.duration}s)")
        found["batch"] = batch.attrium_batch(config, server)
    finally:
        server.stop()
    if "upsert_ceiling" not in found:
        settle(backend, database_url)
        say(f"{backend}: upsert ceiling ({config.duration}s)")
        found["upsert_ceiling"] = _upsert_ceiling(config, backend, database_url, folder)
    found["batch"]["ceiling_requests_per_second"] = found["upsert_ceiling"]["requests_per_second"]


def _upsert_ceiling(
    config: BenchConfig, backend: str, database_url: str, folder: Path
) -> dict[str, Any]:
    if backend == "postgresql":
        return upserts.pgbench_upserts(config, database_url, folder)
    synchronous = os.environ.get("ATTRIUM_SQLITE_SYNCHRONOUS", "FULL")
    return upserts.sqlite_loop_upserts(config, folder, synchronous)


def _bulk(
    config: BenchConfig,
    backend: str,
    server: Server,
    database_url: str,
    folder: Path,
    found: dict[str, Any],
) -> None:
    """Bulk import and then segment counts on what it imported."""
    rows = config.import_customers
    ndjson, csv_path = dataset.write_files(folder, rows)
    workspace_id, token = create_workspace(server.env, "bench-import")
    if config.measures("import") and imports.api_has(server, "/v1/imports"):
        say(f"{backend}: bulk import of {rows} customers")
        found["import"] = imports.attrium_import(server, token, ndjson, rows)
    else:
        if config.measures("import"):
            found["import"] = {"skipped": "POST /v1/imports is not on this build (issue 6)"}
        say(f"{backend}: seeding {rows} customers directly for the segments")
        _define_attributes(server, token)
        people = ((dataset.external_id(n), values) for n, values in dataset.rows(rows))
        seed_customers(database_url, workspace_id, people)
    if config.measures("import"):
        say(f"{backend}: import ceiling")
        found["import_ceiling"] = _import_ceiling(backend, database_url, csv_path, rows, folder)
    if config.measures("segments"):
        _segments(config, backend, server, token, workspace_id, database_url, found)


def _import_ceiling(
    backend: str, database_url: str, csv_path: Path, rows: int, folder: Path
) -> dict[str, Any]:
    if backend == "postgresql":
        return imports.postgres_copy(database_url, csv_path, rows)
    return imports.sqlite_bulk_insert(folder / "ceiling-import.db", csv_path, rows)


def _segments(
    config: BenchConfig,
    backend: str,
    server: Server,
    token: str,
    workspace_id: str,
    database_url: str,
    found: dict[str, Any],
) -> None:
    say(f"{backend}: segment counts")
    if imports.api_has(server, "/v1/segments/preview"):
        found["segment"] = segments.attrium_count(server, token, config.segment_repeats)
    else:
        found["segment"] = {"skipped": "POST /v1/segments/preview is not on this build (issue 5)"}
    if backend == "postgresql":
        found["segment_ceiling"] = segments.postgres_count(
            database_url, workspace_id, config.segment_repeats
        )
    else:
        path = database_url.removeprefix("sqlite:///")
        found["segment_ceiling"] = segments.sqlite_count(path, workspace_id, config.segment_repeats)


def _define_attributes(server: Server, token: str) -> None:
    with server.client() as client:
        client.headers["Authorization"] = f"Bearer {token}"
        for name, attribute_type in dataset.ATTRIBUTE_TYPES.items():
            client.post("/v1/attributes", json={"name": name, "type": attribute_type})


if __name__ == "__main__":
    main()
