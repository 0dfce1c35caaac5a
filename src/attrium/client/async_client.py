"""The asyncio client: the same methods as `Client`, awaited."""

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any, TypeVar

import httpx

from attrium.client.calls import UPLOAD_CHUNK_BYTES, Call, Page, RetryPolicy, raise_for_problem
from attrium.client.declare import AsyncSender
from attrium.client.errors import TransportError, url_and_key
from attrium.client.methods import Methods
from attrium.client.models import ImportJob

Result = TypeVar("Result")
Item = TypeVar("Item")


class AsyncClient(AsyncSender, Methods):
    """`AsyncClient(url, key)`; both default to `ATTRIUM_URL` and `ATTRIUM_KEY`.

    Every method of `Client`, awaited; `iter_*` and `export_*` are async iterators.
    """

    def __init__(
        self,
        url: str | None = None,
        key: str | None = None,
        *,
        timeout: float = 30.0,
        retry: RetryPolicy | None = None,
        http: httpx.AsyncClient | None = None,
    ) -> None:
        base_url, token = url_and_key(url, key)
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
                if not self.retry.may_resend(call, attempt, error):
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

    async def pages(self, call: Call[Page[Item]]) -> AsyncIterator[Item]:
        """Every item of a paginated list, fetching a page when the last one is used up."""
        page = await self.send(call)
        for item in page.items:
            yield item
        while page.next_cursor is not None:
            page = await self.send(call.at_cursor(page.next_cursor))
            for item in page.items:
                yield item

    async def download(self, call: Call[None]) -> AsyncIterator[bytes]:
        """A streamed answer in chunks as they arrive (never held whole)."""
        async with self.http.stream(call.method, call.path, params=call.params) as response:
            if response.status_code >= 400:
                await response.aread()
                raise_for_problem(response)
            async for chunk in response.aiter_bytes():
                yield chunk

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


async def _file_chunks(path: Path) -> AsyncIterator[bytes]:
    """The file in chunks, read off the event loop."""
    with path.open("rb") as upload:
        while chunk := await asyncio.to_thread(upload.read, UPLOAD_CHUNK_BYTES):
            yield chunk
