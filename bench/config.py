"""Benchmark sizes and switches, from `BENCH_*` environment variables.

`make bench` runs the full sizes the performance issue names; `BENCH_QUICK=1` picks
sizes that finish in a few minutes on a 2-core machine. Any single size can be set on
its own (e.g. `BENCH_DURATION=20`).
"""

import os
from dataclasses import asdict, dataclass
from typing import Any

POSTGRES_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


MEASURES = ("upserts", "batch", "import", "segments", "catalog", "asof")


def _only() -> tuple[str, ...]:
    """`BENCH_ONLY=import` (comma list): measure just these; empty means all."""
    names = tuple(
        name.strip() for name in os.environ.get("BENCH_ONLY", "").split(",") if name.strip()
    )
    unknown = [name for name in names if name not in MEASURES]
    if unknown:
        raise SystemExit(f"BENCH_ONLY: unknown {', '.join(unknown)}; known: {', '.join(MEASURES)}")
    return names


def _quick() -> bool:
    return os.environ.get("BENCH_QUICK", "").lower() in ("1", "true", "yes")


@dataclass(frozen=True)
class BenchConfig:
    quick: bool
    backends: tuple[str, ...]
    customers: int  # customers the upserts pick from
    connections: int  # concurrent connections for upserts (wrk and pgbench alike)
    duration: int  # seconds per upsert measurement
    import_customers: int  # rows of the bulk import (and the segment data set)
    import_attributes: int
    segment_repeats: int
    catalog_customers: int  # customers of the workspace whose catalog is read
    catalog_repeats: int
    asof_customers: int  # customers of the as-of segment count (issue 20)
    asof_changes: int  # their changes each, on average
    workers: int  # `attrium serve --workers`
    postgres_admin_url: str
    database_name: str
    only: tuple[str, ...] = ()  # empty: every measure

    def measures(self, name: str) -> bool:
        return not self.only or name in self.only

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def load() -> BenchConfig:
    quick = _quick()
    backends = tuple(
        name.strip()
        for name in os.environ.get("BENCH_BACKENDS", "postgresql,sqlite").split(",")
        if name.strip()
    )
    return BenchConfig(
        quick=quick,
        backends=backends,
        customers=_int("BENCH_CUSTOMERS", 100_000),
        connections=_int("BENCH_CONNECTIONS", 32),
        duration=_int("BENCH_DURATION", 10 if quick else 30),
        import_customers=_int("BENCH_IMPORT_CUSTOMERS", 50_000 if quick else 1_000_000),
        import_attributes=10,
        segment_repeats=_int("BENCH_SEGMENT_REPEATS", 5 if quick else 11),
        catalog_customers=_int("BENCH_CATALOG_CUSTOMERS", 50_000 if quick else 1_000_000),
        catalog_repeats=_int("BENCH_CATALOG_REPEATS", 5 if quick else 21),
        asof_customers=_int("BENCH_ASOF_CUSTOMERS", 50_000 if quick else 1_000_000),
        asof_changes=_int("BENCH_ASOF_CHANGES", 10),
        workers=_int("BENCH_WORKERS", 1),
        postgres_admin_url=os.environ.get("BENCH_POSTGRES_ADMIN_URL", POSTGRES_ADMIN_URL),
        database_name=os.environ.get("BENCH_DATABASE", "attrium_bench"),
        only=_only(),
    )
