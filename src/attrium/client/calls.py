"""A call as data (method, path, body, how to read the answer), and the retry policy.

`Client` and `AsyncClient` send these the same way; nothing here does I/O.
"""

import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any, Generic, TypeVar

import httpx
from pydantic import BaseModel

from attrium.client.errors import error_for

Result = TypeVar("Result")
Item = TypeVar("Item")
ModelT = TypeVar("ModelT", bound=BaseModel)

_IDEMPOTENT = frozenset({"GET", "HEAD", "PUT", "DELETE", "PATCH", "OPTIONS"})
NO_BODY: Any = object()
UPLOAD_CHUNK_BYTES = 1 << 20


@dataclass(frozen=True, slots=True)
class Call(Generic[Result]):
    method: str
    path: str
    parse: Callable[[httpx.Response], Result]
    params: Mapping[str, Any] | None = None
    json: Any = NO_BODY
    upload: bytes | Path | None = None
    headers: Mapping[str, str] = field(default_factory=dict)

    @property
    def retry_on_server_error(self) -> bool:
        """Whether repeating the call after a 5xx cannot apply it twice."""
        return self.method in _IDEMPOTENT or "Idempotency-Key" in self.headers

    def request_arguments(self) -> dict[str, Any]:
        arguments: dict[str, Any] = {"params": self.params, "headers": dict(self.headers)}
        if self.json is not NO_BODY:
            arguments["json"] = self.json
        return arguments

    def at_cursor(self, cursor: str) -> "Call[Result]":
        """The same call for the page after `cursor`."""
        return replace(self, params={**(self.params or {}), "cursor": cursor})


@dataclass(frozen=True, slots=True)
class Page(Generic[Item]):
    items: list[Item]
    next_cursor: str | None


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Retries for 429 and 5xx answers and failed connections, with exponential backoff.

    A `Retry-After` header (seconds or an HTTP date) is honoured, up to `max_delay`.
    """

    retries: int = 3
    backoff: float = 0.5
    max_delay: float = 30.0

    def delay(self, attempt: int, response: httpx.Response | None) -> float:
        if response is not None:
            advised = retry_after_seconds(response)
            if advised is not None:
                return min(advised, self.max_delay)
        jitter: float = random.uniform(0.5, 1.0)
        return min(self.backoff * float(2**attempt) * jitter, self.max_delay)

    def should_retry(self, call: Call[Any], attempt: int, response: httpx.Response) -> bool:
        if attempt >= self.retries:
            return False
        if response.status_code == 429:
            return True
        return response.status_code >= 500 and call.retry_on_server_error

    def may_resend(self, call: Call[Any], attempt: int, error: httpx.TransportError) -> bool:
        """A refused connection never reached the server; anything else only if idempotent."""
        if attempt >= self.retries:
            return False
        return isinstance(error, httpx.ConnectError) or call.retry_on_server_error


def retry_after_seconds(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (moment - datetime.now(UTC)).total_seconds())


def raise_for_problem(response: httpx.Response) -> None:
    if response.status_code < 400:
        return
    try:
        problem = response.json()
    except ValueError:
        problem = {"title": response.reason_phrase, "detail": response.text[:500]}
    if not isinstance(problem, dict):
        problem = {"title": response.reason_phrase, "detail": str(problem)[:500]}
    raise error_for(response.status_code, problem)


# How to read an answer.


def model(model_class: type[ModelT]) -> Callable[[httpx.Response], ModelT]:
    def parse(response: httpx.Response) -> ModelT:
        return model_class.model_validate(response.json())

    return parse


def items(model_class: type[ModelT]) -> Callable[[httpx.Response], list[ModelT]]:
    """A list answered whole, as `{"items": [...]}`."""

    def parse(response: httpx.Response) -> list[ModelT]:
        return [model_class.model_validate(item) for item in response.json()["items"]]

    return parse


def page(model_class: type[ModelT]) -> Callable[[httpx.Response], Page[ModelT]]:
    """One page of a list, `{"items": [...], "next_cursor": ...}`."""

    def parse(response: httpx.Response) -> Page[ModelT]:
        body = response.json()
        found = [model_class.model_validate(item) for item in body["items"]]
        return Page(found, body.get("next_cursor"))

    return parse


def field_of(name: str, kind: Callable[[Any], Result]) -> Callable[[httpx.Response], Result]:
    """One field of the answer's JSON object."""

    def parse(response: httpx.Response) -> Result:
        return kind(response.json()[name])

    return parse


def nothing(_response: httpx.Response) -> None:
    return None
