"""The asyncio client: the same calls as `Client`, awaited."""

import asyncio
import os
from collections.abc import AsyncIterator, Callable
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


class AsyncClient:
    """`AsyncClient(url, key)`; both default to `ATTRIUM_URL` and `ATTRIUM_KEY`."""

    def __init__(
        self,
        url: str | None = None,
        key: str | None = None,
        *,
        timeout: float = 30.0,
        retry: RetryPolicy | None = None,
        http: httpx.AsyncClient | None = None,
    ) -> None:
        base_url = url or os.environ.get("ATTRIUM_URL", "http://127.0.0.1:8000")
        token = key or os.environ.get("ATTRIUM_KEY", "")
        self.retry = retry or RetryPolicy()
        self.http = http or httpx.AsyncClient(
            base_url=base_url, headers={"Authorization": f"Bearer {token}"}, timeout=timeout
        )

    async def __aenter__(self) -> "AsyncClient":
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        await self.http.aclose()

    async def send(self, call: Call[Result]) -> Result:
        """Send one call, retrying as the policy says; raise the problem as an exception."""
        attempt = 0
        while True:
            response = None
            try:
                response = await self._request(call)
            except httpx.TransportError as error:
                if attempt >= self.retry.retries or not _may_resend(call, error):
                    raise TransportError(str(error) or type(error).__name__) from error
            if response is not None and not self.retry.should_retry(call, attempt, response):
                raise_for_problem(response)
                return call.parse(response)
            await asyncio.sleep(self.retry.delay(attempt, response))
            attempt += 1

    async def _request(self, call: Call[Any]) -> httpx.Response:
        arguments = call.request_arguments()
        if isinstance(call.upload, Path):
            arguments["content"] = _file_chunks(call.upload)
        elif call.upload is not None:
            arguments["content"] = call.upload
        return await self.http.request(call.method, call.path, **arguments)

    async def _pages(self, first: Callable[[str | None], Call[Page[Item]]]) -> AsyncIterator[Item]:
        cursor: str | None = None
        while True:
            page = await self.send(first(cursor))
            for item in page.items:
                yield item
            if page.next_cursor is None:
                return
            cursor = page.next_cursor

    # Customers.

    async def get_customer(self, ref: str) -> Customer:
        """By external id or a prefixed reference (`email:…`, `profile:…`, …)."""
        return await self.send(calls.get_customer(ref))

    async def put_customer(self, ref: str, **body: Any) -> Customer:
        """Create or update; `body` is the PUT body (`email=`, `attributes=`, …)."""
        return await self.send(calls.put_customer(ref, body))

    async def patch_attributes(self, ref: str, attributes: dict[str, Any]) -> dict[str, Any]:
        """Merge attributes into an existing customer (None removes); the result."""
        return await self.send(calls.patch_attributes(ref, attributes))

    async def delete_customer_attribute(self, ref: str, name: str) -> None:
        await self.send(calls.delete_customer_attribute(ref, name))

    async def delete_customer(self, ref: str) -> None:
        await self.send(calls.delete_customer(ref))

    async def find_customer(
        self,
        *,
        email: str | None = None,
        phone: str | None = None,
        anonymous_id: str | None = None,
        identifier: str | None = None,
    ) -> Customer | None:
        filters = {"email": email, "phone": phone, "anonymous_id": anonymous_id}
        page = await self.send(calls.find_customers({**filters, "identifier": identifier}))
        return page.items[0] if page.items else None

    def iter_customers(self, page_size: int | None = None) -> AsyncIterator[Customer]:
        return self._pages(lambda cursor: calls.customers_page(cursor, page_size))

    def iter_activity(self, ref: str, page_size: int | None = None) -> AsyncIterator[ActivityEntry]:
        """The customer's history, newest first."""
        return self._pages(lambda cursor: calls.activity_page(ref, cursor, page_size))

    # The attribute catalog.

    async def list_attributes(self) -> list[Attribute]:
        return await self.send(calls.list_attributes())

    async def get_attribute(self, name: str) -> Attribute:
        return await self.send(calls.get_attribute(name))

    async def define_attribute(self, name: str, type: str, **options: Any) -> Attribute:
        """Declare an attribute; `options`: enum_values, default, description, max_length."""
        return await self.send(calls.define_attribute({"name": name, "type": type, **options}))

    async def update_attribute(self, name: str, **changes: Any) -> Attribute:
        return await self.send(calls.update_attribute(name, changes))

    async def delete_attribute(self, name: str, *, purge: bool = False) -> None:
        await self.send(calls.delete_attribute(name, purge))

    # Segments.

    def iter_segments(self, page_size: int | None = None) -> AsyncIterator[Segment]:
        return self._pages(lambda cursor: calls.segments_page(cursor, page_size))

    async def count_segment(self, segment_id: str) -> int:
        return await self.send(calls.count_segment(segment_id))

    def iter_segment_members(
        self, segment_id: str, page_size: int | None = None
    ) -> AsyncIterator[Customer]:
        return self._pages(lambda cursor: calls.segment_members_page(segment_id, cursor, page_size))

    async def create_segment(
        self, name: str, predicate: dict[str, Any], *, description: str | None = None
    ) -> Segment:
        definition = {"name": name, "predicate": predicate, "description": description}
        return await self.send(calls.create_segment(definition))

    async def delete_segment(self, segment_id: str) -> None:
        await self.send(calls.delete_segment(segment_id))

    async def preview_segment(self, predicate: dict[str, Any], sample: int = 10) -> SegmentPreview:
        """How many customers a predicate selects, and the first `sample` of them."""
        return await self.send(calls.preview_segment(predicate, sample))

    # Identity and templates.

    async def suppress_customer(self, ref: str) -> dict[str, Any]:
        """Delete the customer and block its identifiers (keyed hashes only)."""
        return await self.send(calls.suppress_customer(ref))

    async def unsuppress_customer(self, ref: str) -> None:
        await self.send(calls.unsuppress_customer(ref))

    async def render_template(self, template: str, customer: str) -> str:
        """Render Liquid source for one customer."""
        return await self.send(calls.render_template(template, customer))

    async def create_template(
        self, name: str, body: str, *, description: str | None = None
    ) -> Template:
        definition = {"name": name, "body": body, "description": description}
        return await self.send(calls.create_template(definition))

    async def render_saved_template(self, template_id: str, customer: str) -> str:
        return await self.send(calls.render_saved_template(template_id, customer))

    def iter_templates(self, page_size: int | None = None) -> AsyncIterator[Template]:
        return self._pages(lambda cursor: calls.templates_page(cursor, page_size))

    # Imports and exports.

    async def start_import(
        self,
        source: str | Path | bytes,
        *,
        format: str | None = None,
        idempotency_key: str | None = None,
    ) -> ImportJob:
        """Upload a file (a path) or bytes: NDJSON or CSV, gzip allowed; the queued job."""
        upload = Path(source) if isinstance(source, str) else source
        return await self.send(calls.start_import(upload, format, idempotency_key))

    async def get_import(self, job_id: str) -> ImportJob:
        return await self.send(calls.get_import(job_id))

    async def wait_for_import(
        self,
        job_id: str,
        *,
        poll_seconds: float = 0.5,
        on_progress: Callable[[ImportJob], None] | None = None,
    ) -> ImportJob:
        """Poll until the job is done or failed (bound it with `asyncio.timeout`)."""
        while True:
            job = await self.get_import(job_id)
            if on_progress:
                on_progress(job)
            if job.finished:
                return job
            await asyncio.sleep(poll_seconds)

    def iter_import_errors(
        self, job_id: str, page_size: int | None = None
    ) -> AsyncIterator[RejectedRow]:
        return self._pages(lambda cursor: calls.import_errors_page(job_id, cursor, page_size))

    async def export_customers(
        self, *, format: str = "ndjson", segment: str | None = None
    ) -> AsyncIterator[bytes]:
        """The export, streamed in chunks as they arrive (never held whole)."""
        params = calls.export_params(format, segment)
        async with self.http.stream("GET", "/v1/customers/export", params=params) as response:
            if response.status_code >= 400:
                await response.aread()
                raise_for_problem(response)
            async for chunk in response.aiter_bytes():
                yield chunk


def _may_resend(call: Call[Any], error: httpx.TransportError) -> bool:
    """A refused connection never reached the server; anything else only if idempotent."""
    return isinstance(error, httpx.ConnectError) or call.retry_on_server_error


async def _file_chunks(path: Path) -> AsyncIterator[bytes]:
    """The file in chunks, read off the event loop."""
    with path.open("rb") as upload:
        while chunk := await asyncio.to_thread(upload.read, calls.UPLOAD_CHUNK_BYTES):
            yield chunk
