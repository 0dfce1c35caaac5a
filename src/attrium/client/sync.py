"""The blocking client."""

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import httpx

from attrium.client.calls import Call, Page, RetryPolicy, raise_for_problem
from attrium.client.declare import SyncSender
from attrium.client.errors import TransportError, url_and_key
from attrium.client.methods import Methods
from attrium.client.models import ImportJob

Result = TypeVar("Result")
Item = TypeVar("Item")


class Client(SyncSender, Methods):
    """`Client(url, key)`; both default to `ATTRIUM_URL` and `ATTRIUM_KEY`.

    Every route of the native API is a method (see `Methods`); `iter_*` methods
    follow the cursors of a paginated list, `export_*` ones stream bytes.
    """

    def __init__(
        self,
        url: str | None = None,
        key: str | None = None,
        *,
        timeout: float = 30.0,
        retry: RetryPolicy | None = None,
        http: httpx.Client | None = None,
    ) -> None:
        base_url, token = url_and_key(url, key)
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
                if not self.retry.may_resend(call, attempt, error):
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

    def pages(self, call: Call[Page[Item]]) -> Iterator[Item]:
        """Every item of a paginated list, fetching a page when the last one is used up."""
        page = self.send(call)
        yield from page.items
        while page.next_cursor is not None:
            page = self.send(call.at_cursor(page.next_cursor))
            yield from page.items

    def download(self, call: Call[None]) -> Iterator[bytes]:
        """A streamed answer in chunks as they arrive (never held whole)."""
        with self.http.stream(call.method, call.path, params=call.params) as response:
            if response.status_code >= 400:
                response.read()
                raise_for_problem(response)
            yield from response.iter_bytes()

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
