"""Prometheus metrics of this process, served at `/metrics`.

With `attrium serve --workers N` each worker keeps its own counters; scrape each
worker, or run one worker per container.
"""

from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, Histogram, generate_latest

REQUESTS = Counter("attrium_http_requests", "HTTP requests answered", ["method", "route", "status"])
LATENCY = Histogram(
    "attrium_http_request_duration_seconds",
    "time from the request's arrival to the end of its answer",
    ["method", "route"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
WRITES = Counter(
    "attrium_writes", "write requests (POST, PUT, PATCH, DELETE) by outcome", ["outcome"]
)
RATE_LIMITED = Counter("attrium_rate_limited", "requests refused by the rate limit")
WRITE_BATCH_SIZE = Histogram(
    "attrium_write_batch_writes",
    "customer writes applied per transaction by the group-commit writer",
    buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024),
)
WRITE_BATCH_SECONDS = Histogram(
    "attrium_write_batch_seconds",
    "time from a batch's start to its commit, group-commit writer",
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1),
)
IMPORT_ROWS = Counter("attrium_import_rows", "rows processed by imports", ["outcome"])
VERSIONS_POLLED = Gauge(
    "attrium_workspace_versions_polled_seconds",
    "Unix time at which the newest successful poll of workspace versions started; "
    "keys and catalogs are read from the database while it is over 1 s old",
)

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

router = APIRouter(tags=["health"])


class _RequestSeries:
    """The series one kind of answer (method, route, status) counts in."""

    __slots__ = ("latency", "requests", "writes")

    def __init__(self, method: str, route: str, status: int) -> None:
        self.requests = REQUESTS.labels(method, route, str(status))
        self.latency = LATENCY.labels(method, route)
        self.writes = None
        if method in WRITE_METHODS and route != "unmatched":
            self.writes = WRITES.labels("accepted" if status < 400 else "rejected")


# Looking a series up by its labels costs more than counting in it: keep them.
_series: dict[tuple[str, str, int], _RequestSeries] = {}


def observe(method: str, route: str, status: int, seconds: float) -> None:
    key = (method, route, status)
    series = _series.get(key)
    if series is None:
        series = _series[key] = _RequestSeries(method, route, status)
    series.requests.inc()
    series.latency.observe(seconds)
    if series.writes is not None:
        series.writes.inc()


@router.get("/metrics", include_in_schema=False)
async def metrics() -> Response:
    """Prometheus text exposition of this process's metrics."""
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
