"""The UI's route class: errors become pages, a missing session a trip to sign-in."""

from collections.abc import Callable, Coroutine
from typing import Any
from urllib.parse import quote

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute

from attrium.core.errors import AttriumError, Unauthenticated
from attrium.core.problems import request_validation_error
from attrium.ui.web import UI_PREFIX, redirect, render


class UiRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            try:
                return await handler(request)
            except Unauthenticated:
                return redirect(request, sign_in_location(request))
            except RequestValidationError as error:
                return error_page(request, request_validation_error(error))
            except AttriumError as error:
                return error_page(request, error)

        return handle


def sign_in_location(request: Request) -> str:
    target = request.url.path if request.method == "GET" else UI_PREFIX
    if request.url.query and request.method == "GET":
        target += "?" + request.url.query
    return f"{UI_PREFIX}/sign-in?next={quote(target, safe='')}"


def error_page(request: Request, error: AttriumError) -> Response:
    return render(request, "error.html", status=error.status, error=error)
