"""Every API call as data: method, path, body and how to read the answer.

`Client` and `AsyncClient` send these the same way (with retries), so a route and
its parsing are written once for both.
"""

import random
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any, Generic, TypeVar
from urllib.parse import quote

import httpx

from attrium.client.errors import error_for
from attrium.client.models import (
    ActivityEntry,
    Attribute,
    Customer,
    ImportJob,
    RejectedRow,
    Segment,
    SegmentPreview,
    Template,
)

Result = TypeVar("Result")
Item = TypeVar("Item")

_IDEMPOTENT = frozenset({"GET", "HEAD", "PUT", "DELETE", "PATCH", "OPTIONS"})
_NO_BODY: Any = object()


@dataclass(frozen=True, slots=True)
class Call(Generic[Result]):
    method: str
    path: str
    parse: Callable[[httpx.Response], Result]
    params: Mapping[str, Any] | None = None
    json: Any = _NO_BODY
    upload: bytes | Path | None = None
    headers: Mapping[str, str] = field(default_factory=dict)

    @property
    def retry_on_server_error(self) -> bool:
        """Whether repeating the call after a 5xx cannot apply it twice."""
        return self.method in _IDEMPOTENT or "Idempotency-Key" in self.headers

    def request_arguments(self) -> dict[str, Any]:
        arguments: dict[str, Any] = {"params": self.params, "headers": dict(self.headers)}
        if self.json is not _NO_BODY:
            arguments["json"] = self.json
        return arguments


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


def ref_path(ref: str) -> str:
    return quote(ref, safe=":@+")


def _model(model: type[Item]) -> Callable[[httpx.Response], Item]:
    def parse(response: httpx.Response) -> Item:
        return model.model_validate(response.json())  # type: ignore[attr-defined, no-any-return]

    return parse


def _nothing(_response: httpx.Response) -> None:
    return None


@dataclass(frozen=True, slots=True)
class Page(Generic[Item]):
    items: list[Item]
    next_cursor: str | None


def _page(model: type[Item]) -> Callable[[httpx.Response], Page[Item]]:
    def parse(response: httpx.Response) -> Page[Item]:
        body = response.json()
        items = [model.model_validate(item) for item in body["items"]]  # type: ignore[attr-defined]
        return Page(items, body.get("next_cursor"))

    return parse


def _paged(params: Mapping[str, Any], cursor: str | None, limit: int | None) -> dict[str, Any]:
    found = {name: value for name, value in params.items() if value is not None}
    if cursor:
        found["cursor"] = cursor
    if limit:
        found["limit"] = limit
    return found


# Customers.


def get_customer(ref: str) -> Call[Customer]:
    return Call("GET", f"/v1/customers/{ref_path(ref)}", _model(Customer))


def put_customer(ref: str, body: Mapping[str, Any]) -> Call[Customer]:
    return Call("PUT", f"/v1/customers/{ref_path(ref)}", _model(Customer), json=dict(body))


def patch_attributes(ref: str, attributes: Mapping[str, Any]) -> Call[dict[str, Any]]:
    def parse(response: httpx.Response) -> dict[str, Any]:
        found: dict[str, Any] = response.json()["attributes"]
        return found

    path = f"/v1/customers/{ref_path(ref)}/attributes"
    return Call("PATCH", path, parse, json=dict(attributes))


def delete_customer_attribute(ref: str, name: str) -> Call[None]:
    path = f"/v1/customers/{ref_path(ref)}/attributes/{quote(name, safe='')}"
    return Call("DELETE", path, _nothing)


def delete_customer(ref: str) -> Call[None]:
    return Call("DELETE", f"/v1/customers/{ref_path(ref)}", _nothing)


def find_customers(filters: Mapping[str, str | None]) -> Call[Page[Customer]]:
    params = {name: value for name, value in filters.items() if value is not None}
    return Call("GET", "/v1/customers", _page(Customer), params=params)


def customers_page(cursor: str | None, limit: int | None) -> Call[Page[Customer]]:
    return Call("GET", "/v1/customers", _page(Customer), params=_paged({}, cursor, limit))


def activity_page(ref: str, cursor: str | None, limit: int | None) -> Call[Page[ActivityEntry]]:
    path = f"/v1/customers/{ref_path(ref)}/activity"
    return Call("GET", path, _page(ActivityEntry), params=_paged({}, cursor, limit))


# The attribute catalog.


def list_attributes() -> Call[list[Attribute]]:
    def parse(response: httpx.Response) -> list[Attribute]:
        return [Attribute.model_validate(item) for item in response.json()["items"]]

    return Call("GET", "/v1/attributes", parse)


def get_attribute(name: str) -> Call[Attribute]:
    return Call("GET", f"/v1/attributes/{quote(name, safe='')}", _model(Attribute))


def define_attribute(definition: Mapping[str, Any]) -> Call[Attribute]:
    body = {key: value for key, value in definition.items() if value is not None}
    return Call("POST", "/v1/attributes", _model(Attribute), json=body)


def update_attribute(name: str, changes: Mapping[str, Any]) -> Call[Attribute]:
    path = f"/v1/attributes/{quote(name, safe='')}"
    return Call("PATCH", path, _model(Attribute), json=dict(changes))


def delete_attribute(name: str, purge: bool) -> Call[None]:
    params = {"purge": "true"} if purge else None
    return Call("DELETE", f"/v1/attributes/{quote(name, safe='')}", _nothing, params=params)


# Segments.


def segments_page(cursor: str | None, limit: int | None) -> Call[Page[Segment]]:
    return Call("GET", "/v1/segments", _page(Segment), params=_paged({}, cursor, limit))


def count_segment(segment_id: str) -> Call[int]:
    def parse(response: httpx.Response) -> int:
        return int(response.json()["count"])

    return Call("GET", f"/v1/segments/{quote(segment_id, safe='')}/count", parse)


def segment_members_page(
    segment_id: str, cursor: str | None, limit: int | None
) -> Call[Page[Customer]]:
    path = f"/v1/segments/{quote(segment_id, safe='')}/members"
    return Call("GET", path, _page(Customer), params=_paged({}, cursor, limit))


def create_segment(definition: Mapping[str, Any]) -> Call[Segment]:
    body = {key: value for key, value in definition.items() if value is not None}
    return Call("POST", "/v1/segments", _model(Segment), json=body)


def delete_segment(segment_id: str) -> Call[None]:
    return Call("DELETE", f"/v1/segments/{quote(segment_id, safe='')}", _nothing)


def preview_segment(predicate: Mapping[str, Any], sample: int) -> Call[SegmentPreview]:
    body = {"predicate": dict(predicate), "sample": sample}
    return Call("POST", "/v1/segments/preview", _model(SegmentPreview), json=body)


# Identity.


def suppress_customer(ref: str) -> Call[dict[str, Any]]:
    def parse(response: httpx.Response) -> dict[str, Any]:
        found: dict[str, Any] = response.json()
        return found

    return Call("POST", f"/v1/customers/{ref_path(ref)}/suppress", parse)


def unsuppress_customer(ref: str) -> Call[None]:
    return Call("POST", f"/v1/customers/{ref_path(ref)}/unsuppress", _nothing)


# Templates.


def _rendered(response: httpx.Response) -> str:
    return str(response.json()["rendered"])


def render_template(template: str, customer: str) -> Call[str]:
    body = {"template": template, "customer": customer}
    return Call("POST", "/v1/templates/render", _rendered, json=body)


def create_template(definition: Mapping[str, Any]) -> Call[Template]:
    body = {key: value for key, value in definition.items() if value is not None}
    return Call("POST", "/v1/templates", _model(Template), json=body)


def render_saved_template(template_id: str, customer: str) -> Call[str]:
    path = f"/v1/templates/{quote(template_id, safe='')}/render"
    return Call("POST", path, _rendered, json={"customer": customer})


def templates_page(cursor: str | None, limit: int | None) -> Call[Page[Template]]:
    return Call("GET", "/v1/templates", _page(Template), params=_paged({}, cursor, limit))


# Imports and exports.


def import_format_of(source: Path | bytes, given: str | None) -> str:
    if given:
        return given
    if isinstance(source, Path):
        suffixes = [suffix.lower() for suffix in source.suffixes]
        if ".csv" in suffixes:
            return "csv"
    return "ndjson"


def start_import(
    source: Path | bytes, import_format: str | None, idempotency_key: str | None
) -> Call[ImportJob]:
    """An upload; the idempotency key (made up if not given) makes retrying it safe."""
    headers = {
        "Idempotency-Key": idempotency_key or str(uuid.uuid4()),
        "Content-Type": "application/octet-stream",
    }
    params = {"format": import_format_of(source, import_format)}
    return Call(
        "POST", "/v1/imports", _model(ImportJob), params=params, upload=source, headers=headers
    )


def get_import(job_id: str) -> Call[ImportJob]:
    return Call("GET", f"/v1/imports/{quote(job_id, safe='')}", _model(ImportJob))


def import_errors_page(
    job_id: str, cursor: str | None, limit: int | None
) -> Call[Page[RejectedRow]]:
    path = f"/v1/imports/{quote(job_id, safe='')}/errors"
    return Call("GET", path, _page(RejectedRow), params=_paged({}, cursor, limit))


def export_params(export_format: str, segment: str | None) -> dict[str, str]:
    params = {"format": export_format}
    if segment:
        params["segment"] = segment
    return params


UPLOAD_CHUNK_BYTES = 1 << 20
