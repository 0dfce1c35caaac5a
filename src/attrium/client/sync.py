"""The blocking client."""

import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import httpx

from attrium.client import calls
from attrium.client.calls import Call, Page, RetryPolicy, raise_for_problem
from attrium.client.errors import TransportError
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


class Client:
    """`Client(url, key)`; both default to `ATTRIUM_URL` and `ATTRIUM_KEY`."""

    def __init__(
        self,
        url: str | None = None,
        key: str | None = None,
        *,
        timeout: float = 30.0,
        retry: RetryPolicy | None = None,
        http: httpx.Client | None = None,
    ) -> None:
        base_url = url or os.environ.get("ATTRIUM_URL", "http://127.0.0.1:8000")
        token = key or os.environ.get("ATTRIUM_KEY", "")
        self.retry = retry or RetryPolicy()
        self.http = http or httpx.Client(
            base_url=base_url, headers={"Authorization": f"Bearer {token}"}, timeout=timeout
        )

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.http.close()

    def send(self, call: Call[Result]) -> Result:
        """Send one call, retrying as the policy says; raise the problem as an exception."""
        attempt = 0
        while True:
            response = None
            try:
                response = self._request(call)
            except httpx.TransportError as error:
                if attempt >= self.retry.retries or not _may_resend(call, error):
                    raise TransportError(str(error) or type(error).__name__) from error
            if response is not None and not self.retry.should_retry(call, attempt, response):
                raise_for_problem(response)
                return call.parse(response)
            time.sleep(self.retry.delay(attempt, response))
            attempt += 1

    def _request(self, call: Call[Any]) -> httpx.Response:
        arguments = call.request_arguments()
        if isinstance(call.upload, Path):
            with call.upload.open("rb") as upload:
                return self.http.request(call.method, call.path, content=upload, **arguments)
        if call.upload is not None:
            arguments["content"] = call.upload
        return self.http.request(call.method, call.path, **arguments)

    def _pages(self, first: Callable[[str | None], Call[Page[Item]]]) -> Iterator[Item]:
        cursor: str | None = None
        while True:
            page = self.send(first(cursor))
            yield from page.items
            if page.next_cursor is None:
                return
            cursor = page.next_cursor

    # Customers.

    def get_customer(self, ref: str) -> Customer:
        """By external id or a prefixed reference (`email:…`, `profile:…`, …)."""
        return self.send(calls.get_customer(ref))

    def put_customer(self, ref: str, **body: Any) -> Customer:
        """Create or update; `body` is the PUT body (`email=`, `attributes=`, …)."""
        return self.send(calls.put_customer(ref, body))

    def patch_attributes(self, ref: str, attributes: dict[str, Any]) -> dict[str, Any]:
        """Merge attributes into an existing customer (None removes); the result."""
        return self.send(calls.patch_attributes(ref, attributes))

    def delete_customer_attribute(self, ref: str, name: str) -> None:
        self.send(calls.delete_customer_attribute(ref, name))

    def delete_customer(self, ref: str) -> None:
        self.send(calls.delete_customer(ref))

    def find_customer(
        self,
        *,
        email: str | None = None,
        phone: str | None = None,
        anonymous_id: str | None = None,
        identifier: str | None = None,
    ) -> Customer | None:
        filters = {"email": email, "phone": phone, "anonymous_id": anonymous_id}
        page = self.send(calls.find_customers({**filters, "identifier": identifier}))
        return page.items[0] if page.items else None

    def iter_customers(self, page_size: int | None = None) -> Iterator[Customer]:
        return self._pages(lambda cursor: calls.customers_page(cursor, page_size))

    def iter_activity(self, ref: str, page_size: int | None = None) -> Iterator[ActivityEntry]:
        """The customer's history, newest first."""
        return self._pages(lambda cursor: calls.activity_page(ref, cursor, page_size))

    # The attribute catalog.

    def list_attributes(self) -> list[Attribute]:
        return self.send(calls.list_attributes())

    def get_attribute(self, name: str) -> Attribute:
        return self.send(calls.get_attribute(name))

    def define_attribute(self, name: str, type: str, **options: Any) -> Attribute:
        """Declare an attribute; `options`: enum_values, default, description, max_length."""
        return self.send(calls.define_attribute({"name": name, "type": type, **options}))

    def update_attribute(self, name: str, **changes: Any) -> Attribute:
        return self.send(calls.update_attribute(name, changes))

    def delete_attribute(self, name: str, *, purge: bool = False) -> None:
        self.send(calls.delete_attribute(name, purge))

    # Segments.

    def iter_segments(self, page_size: int | None = None) -> Iterator[Segment]:
        return self._pages(lambda cursor: calls.segments_page(cursor, page_size))

    def count_segment(self, segment_id: str) -> int:
        return self.send(calls.count_segment(segment_id))

    def iter_segment_members(
        self, segment_id: str, page_size: int | None = None
    ) -> Iterator[Customer]:
        return self._pages(lambda cursor: calls.segment_members_page(segment_id, cursor, page_size))

    def create_segment(
        self, name: str, predicate: dict[str, Any], *, description: str | None = None
    ) -> Segment:
        definition = {"name": name, "predicate": predicate, "description": description}
        return self.send(calls.create_segment(definition))

    def delete_segment(self, segment_id: str) -> None:
        self.send(calls.delete_segment(segment_id))

    def preview_segment(self, predicate: dict[str, Any], sample: int = 10) -> SegmentPreview:
        """How many customers a predicate selects, and the first `sample` of them."""
        return self.send(calls.preview_segment(predicate, sample))

    # Identity and templates.

    def suppress_customer(self, ref: str) -> dict[str, Any]:
        """Delete the customer and block its identifiers (keyed hashes only)."""
        return self.send(calls.suppress_customer(ref))

    def unsuppress_customer(self, ref: str) -> None:
        self.send(calls.unsuppress_customer(ref))

    def render_template(self, template: str, customer: str) -> str:
        """Render Liquid source for one customer."""
        return self.send(calls.render_template(template, customer))

    def create_template(self, name: str, body: str, *, description: str | None = None) -> Template:
        definition = {"name": name, "body": body, "description": description}
        return self.send(calls.create_template(definition))

    def render_saved_template(self, template_id: str, customer: str) -> str:
        return self.send(calls.render_saved_template(template_id, customer))

    def iter_templates(self, page_size: int | None = None) -> Iterator[Template]:
        return self._pages(lambda cursor: calls.templates_page(cursor, page_size))

    # Imports and exports.

    def start_import(
        self,
        source: str | Path | bytes,
        *,
        format: str | None = None,
        idempotency_key: str | None = None,
    ) -> ImportJob:
        """Upload a file (a path) or bytes: NDJSON or CSV, gzip allowed; the queued job."""
        upload = Path(source) if isinstance(source, str) else source
        return self.send(calls.start_import(upload, format, idempotency_key))

    def get_import(self, job_id: str) -> ImportJob:
        return self.send(calls.get_import(job_id))

    def wait_for_import(
        self,
        job_id: str,
        *,
        poll_seconds: float = 0.5,
        timeout: float | None = None,
        on_progress: Callable[[ImportJob], None] | None = None,
    ) -> ImportJob:
        """Poll until the job is done or failed; `on_progress` sees every state."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            job = self.get_import(job_id)
            if on_progress:
                on_progress(job)
            if job.finished:
                return job
            if deadline is not None and time.monotonic() > deadline:
                raise TimeoutError(f"import {job_id} is still {job.state}")
            time.sleep(poll_seconds)

    def iter_import_errors(
        self, job_id: str, page_size: int | None = None
    ) -> Iterator[RejectedRow]:
        return self._pages(lambda cursor: calls.import_errors_page(job_id, cursor, page_size))

    def export_customers(
        self, *, format: str = "ndjson", segment: str | None = None
    ) -> Iterator[bytes]:
        """The export, streamed in chunks as they arrive (never held whole)."""
        params = calls.export_params(format, segment)
        with self.http.stream("GET", "/v1/customers/export", params=params) as response:
            if response.status_code >= 400:
                response.read()
                raise_for_problem(response)
            yield from response.iter_bytes()


def _may_resend(call: Call[Any], error: httpx.TransportError) -> bool:
    """A refused connection never reached the server; anything else only if idempotent."""
    return isinstance(error, httpx.ConnectError) or call.retry_on_server_error
