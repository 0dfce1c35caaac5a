"""Each route of the API declared once; `Client` and `AsyncClient` both get it as a method.

    @endpoint("GET", "/v1/customers/{ref}")
    def get_customer(ref: str) -> Request[Customer]:
        return Request(model(Customer))

The route's `{placeholders}` are filled from the function's arguments of the same
name; the function says only the rest (query, body, how to read the answer). Listed
in `Methods`, the declaration is a method of both clients: on `Client` it returns
the result, on `AsyncClient` an awaitable of it.
"""

import functools
import inspect
import string
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, ParamSpec, Self, TypeVar, overload
from urllib.parse import quote

import httpx

from attrium.client.calls import NO_BODY, Call, Page

P = ParamSpec("P")
Result = TypeVar("Result")
Item = TypeVar("Item")


@dataclass(frozen=True, slots=True)
class Request(Generic[Result]):
    """What a route needs besides its method and path."""

    parse: Callable[[httpx.Response], Result]
    params: Mapping[str, Any] | None = None
    json: Any = NO_BODY
    upload: bytes | Path | None = None
    headers: Mapping[str, str] = field(default_factory=dict)


def query(**params: Any) -> dict[str, Any]:
    """Query parameters, less the ones not given."""
    return {name: value for name, value in params.items() if value is not None}


def given(**fields: Any) -> dict[str, Any]:
    """A body of the fields given (None means not given, so the server default holds)."""
    return {name: value for name, value in fields.items() if value is not None}


class SyncSender:
    """What `Client` provides for declared routes to be its methods."""

    def send(self, call: Call[Result]) -> Result:
        raise NotImplementedError

    def pages(self, call: Call[Page[Item]]) -> Iterator[Item]:
        raise NotImplementedError

    def download(self, call: Call[None]) -> Iterator[bytes]:
        raise NotImplementedError


class AsyncSender:
    """What `AsyncClient` provides for declared routes to be its methods."""

    async def send(self, call: Call[Result]) -> Result:
        raise NotImplementedError

    def pages(self, call: Call[Page[Item]]) -> AsyncIterator[Item]:
        raise NotImplementedError

    def download(self, call: Call[None]) -> AsyncIterator[bytes]:
        raise NotImplementedError


class Route(Generic[P, Result]):
    """A route and the function that builds its request."""

    def __init__(self, method: str, route: str, build: Callable[P, Request[Result]]) -> None:
        self.method = method
        self.route = route
        self.build = build
        self.name = build.__name__
        self.__doc__ = build.__doc__
        self._signature = inspect.signature(build)
        self._fields = [name for _, name, _, _ in string.Formatter().parse(route) if name]
        missing = set(self._fields) - set(self._signature.parameters)
        if missing:
            raise TypeError(f"{self.name}: {route} names {missing} that it does not take")

    def call(self, *args: P.args, **kwargs: P.kwargs) -> Call[Result]:
        bound = self._signature.bind(*args, **kwargs)
        path = self.route.format(
            **{name: quote(str(bound.arguments[name]), safe=":@+") for name in self._fields}
        )
        request = self.build(*args, **kwargs)
        return Call(
            self.method,
            path,
            request.parse,
            request.params,
            request.json,
            request.upload,
            request.headers,
        )

    def bind(self, send: Callable[[Call[Result]], Any]) -> Callable[P, Any]:
        @functools.wraps(self.build)
        def method(*args: P.args, **kwargs: P.kwargs) -> Any:
            return send(self.call(*args, **kwargs))

        # The builder's signature, less its `Request` return type, for help() and IDEs.
        method.__signature__ = self._signature.replace(  # type: ignore[attr-defined]
            return_annotation=inspect.Signature.empty
        )
        return method


class Endpoint(Route[P, Result]):
    """A route answering one result."""

    @overload
    def __get__(self, client: None, owner: type[Any]) -> Self: ...
    @overload
    def __get__(self, client: SyncSender, owner: type[Any]) -> Callable[P, Result]: ...
    @overload
    def __get__(self, client: AsyncSender, owner: type[Any]) -> Callable[P, Awaitable[Result]]: ...
    def __get__(self, client: SyncSender | AsyncSender | None, owner: type[Any]) -> Any:
        return self if client is None else self.bind(client.send)


class Listing(Route[P, Page[Item]]):
    """A paginated route: the method iterates over every item, following the cursors."""

    @overload
    def __get__(self, client: None, owner: type[Any]) -> Self: ...
    @overload
    def __get__(self, client: SyncSender, owner: type[Any]) -> Callable[P, Iterator[Item]]: ...
    @overload
    def __get__(
        self, client: AsyncSender, owner: type[Any]
    ) -> Callable[P, AsyncIterator[Item]]: ...
    def __get__(self, client: SyncSender | AsyncSender | None, owner: type[Any]) -> Any:
        return self if client is None else self.bind(client.pages)


class Download(Route[P, None]):
    """A streamed answer: the method yields its bytes as they arrive."""

    @overload
    def __get__(self, client: None, owner: type[Any]) -> Self: ...
    @overload
    def __get__(self, client: SyncSender, owner: type[Any]) -> Callable[P, Iterator[bytes]]: ...
    @overload
    def __get__(
        self, client: AsyncSender, owner: type[Any]
    ) -> Callable[P, AsyncIterator[bytes]]: ...
    def __get__(self, client: SyncSender | AsyncSender | None, owner: type[Any]) -> Any:
        return self if client is None else self.bind(client.download)


def endpoint(
    method: str, route: str
) -> Callable[[Callable[P, Request[Result]]], Endpoint[P, Result]]:
    return lambda build: Endpoint(method, route, build)


def listing(
    method: str, route: str
) -> Callable[[Callable[P, Request[Page[Item]]]], Listing[P, Item]]:
    return lambda build: Listing(method, route, build)


def download(method: str, route: str) -> Callable[[Callable[P, Request[None]]], Download[P]]:
    return lambda build: Download(method, route, build)
