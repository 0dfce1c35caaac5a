"""Structured logs: one JSON object per line, carrying the request id of the request.

`configure()` is called by the server's entry points; libraries that log through
the standard `logging` module (uvicorn, SQLAlchemy) come out as JSON too.

The access log (`access`) writes its line straight to the handler `configure()`
installed, rendered with orjson: the same fields as through structlog and `logging`,
for a fraction of the cost of a record, a formatter and `json.dumps` per request.
Lines are written together at most 10 ms after the request: one write to stdout for
many requests rather than one each, whether or not stdout is buffered. If the logging
setup was changed since `configure()`, the line goes the general way.
"""

import asyncio
import atexit
import json
import logging
import re
import sys
import time
from typing import Any

import orjson
import structlog

_SHARED_PROCESSORS: list[structlog.types.Processor] = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
]

ACCESS_LOGGER = "attrium.http"
_access_logger = logging.getLogger(ACCESS_LOGGER)
_stdout_handler: logging.StreamHandler[Any] | None = None  # installed by configure()


def route_through_logging() -> None:
    """Send structlog's events through `logging`, so its levels and handlers decide."""
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *_SHARED_PROCESSORS,
            structlog.processors.format_exc_info,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )


def configure(level: str = "INFO") -> None:
    """JSON lines on stdout for every log record of the process, from `level` up."""
    global _stdout_handler
    route_through_logging()
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=_SHARED_PROCESSORS,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(),
        ],
    )
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(level.upper())
    _stdout_handler = handler
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        library_logger = logging.getLogger(name)
        # uvicorn turns its access log off (`attrium serve` does: the front door
        # logs every request) by leaving that logger without handlers or propagation.
        turned_off = not library_logger.handlers and not library_logger.propagate
        library_logger.handlers = []
        library_logger.propagate = not (name == "uvicorn.access" and turned_off)


def get_logger(name: str) -> structlog.stdlib.BoundLogger:
    logger: structlog.stdlib.BoundLogger = structlog.stdlib.get_logger(name)
    return logger


def access(
    method: str,
    path: str,
    route: str,
    status: int,
    seconds: float,
    key_id: str | None,
    request_id: str,
) -> None:
    """The access log line of one request (its path with customer references redacted)."""
    if not _access_logger.isEnabledFor(logging.INFO):
        return
    path = redact_path(path)
    handler = _stdout_handler
    if handler is None or not _only_handler(handler):
        get_logger(ACCESS_LOGGER).info(
            "request",
            method=method,
            path=path,
            route=route,
            status=status,
            duration_ms=round(seconds * 1000, 2),
            key_id=key_id,
        )
        return
    fields = {
        "method": method,
        "path": path,
        "route": route,
        "status": status,
        "duration_ms": round(seconds * 1000, 2),
        "key_id": key_id,
        "event": "request",
        "request_id": request_id,
        "level": "info",
        "logger": ACCESS_LOGGER,
        "timestamp": _now(),
    }
    line = orjson.dumps(fields).decode()
    if not line.isascii():
        line = json.dumps(fields)  # ASCII, as every other line, whatever stdout's encoding
    _write_soon(handler, line + "\n")


FLUSH_AFTER_SECONDS = 0.01
# Access lines waiting for their write, and the loop that will write them. Held here,
# not in the stream's buffer: with PYTHONUNBUFFERED (as container images often set)
# every stream write is a system call, as costly as answering the request.
_pending: list[str] = []
_pending_handler: logging.StreamHandler[Any] | None = None
_flush_pending_on: asyncio.AbstractEventLoop | None = None


def _write_soon(handler: logging.StreamHandler[Any], line: str) -> None:
    """Write `line` within FLUSH_AFTER_SECONDS, with the others of that moment (at once
    outside an event loop)."""
    global _flush_pending_on, _pending_handler
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        _write(handler, [*_take_pending(), line])
        return
    if _pending_handler is not handler:
        flush()
        _pending_handler = handler
    _pending.append(line)
    if _flush_pending_on is loop:
        return
    # A flush pending on another loop (a test's, say) may never run: this one flushes too.
    _flush_pending_on = loop
    loop.call_later(FLUSH_AFTER_SECONDS, _flush, loop)


def _flush(loop: asyncio.AbstractEventLoop) -> None:
    global _flush_pending_on
    if _flush_pending_on is loop:
        _flush_pending_on = None
    flush()


def _take_pending() -> list[str]:
    lines = _pending[:]
    _pending.clear()
    return lines


def flush() -> None:
    """Write the lines waiting (also at exit: no access line is lost)."""
    if _pending_handler is not None and _pending:
        _write(_pending_handler, _take_pending())


def _write(handler: logging.StreamHandler[Any], lines: list[str]) -> None:
    handler.acquire()
    try:
        handler.stream.write("".join(lines))
        handler.flush()
    finally:
        handler.release()


atexit.register(flush)


# A segment that names a customer by an identifier, and the segments after `customers`
# that are routes rather than references.
_REFERENCE = re.compile(r"^(email|phone|anonymous_id|id|custom:[^:/]*):")
_ROUTE_WORDS = frozenset({"", "batch", "export", "merge"})
REDACTED = "<redacted>"


def redact_path(path: str) -> str:
    """`path` with its customer references redacted, for logs that outlive erasure.

    A reference keeps its kind (`email:<redacted>`, `custom:vat:<redacted>`); the segment
    after `customers` (native, dialects, UI) is redacted whole unless it is a profile id
    (opaque, no personal data) or a route's own word (`batch`, `export`, `merge`).
    """
    segments = path.split("/")
    for position, segment in enumerate(segments):
        named = _REFERENCE.match(segment)
        if named is not None:
            segments[position] = f"{named.group(1)}:{REDACTED}"
        elif (
            position
            and segments[position - 1] == "customers"
            and segment not in _ROUTE_WORDS
            and not segment.startswith("profile:")
        ):
            segments[position] = REDACTED
    return "/".join(segments)


def _only_handler(handler: logging.Handler) -> bool:
    """Whether `logging` would hand the access log's records to `handler` alone, as is."""
    if handler.filters or handler.level > logging.INFO:
        return False
    logger: logging.Logger | None = _access_logger
    while logger is not None:
        if logger.filters:
            return False
        if logger.parent is None:
            return logger.handlers == [handler]
        if logger.handlers or not logger.propagate:
            return False
        logger = logger.parent
    return False


_second = -1
_second_text = ""


def _now() -> str:
    """UTC now as structlog's TimeStamper(fmt="iso", utc=True) writes it."""
    global _second, _second_text
    now = time.time()
    second = int(now)
    if second != _second:
        _second, _second_text = second, time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))
    microseconds = int((now - second) * 1_000_000)
    return f"{_second_text}.{microseconds:06d}Z" if microseconds else f"{_second_text}Z"
