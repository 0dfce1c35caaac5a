"""Rendering: the Jinja2 environment, its filters, and HTML responses."""

from datetime import UTC, datetime
from typing import Any

import orjson
from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from attrium import __version__
from attrium.attributes.service import FRESHNESS_MEANINGS, NO_FRESHNESS_MEANING
from attrium.ui.service import UiSession

UI_PREFIX = "/ui"
HTMX_HEADER = "hx-request"
BOOSTED_HEADER = "hx-boosted"


def when(moment: datetime | None) -> str:
    if moment is None:
        return "never"
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def ago(moment: datetime | None, now: datetime | None = None) -> str:
    """A rough age for people: '3 minutes ago'."""
    if moment is None:
        return "never"
    seconds = int(((now or datetime.now(UTC)) - moment).total_seconds())
    for unit, size in (("day", 86_400), ("hour", 3_600), ("minute", 60)):
        if seconds >= size:
            count = seconds // size
            return f"{count} {unit}{'s' if count != 1 else ''} ago"
    return "just now"


def as_json(value: Any) -> str:
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


def as_pretty_json(value: Any) -> str:
    """An object or array value, indented two spaces a level, to read on a page."""
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS | orjson.OPT_INDENT_2).decode()


def _environment() -> Environment:
    environment = Environment(
        loader=PackageLoader("attrium.ui", "templates"),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters["when"] = when
    environment.filters["ago"] = ago
    environment.filters["json"] = as_json
    environment.filters["pretty_json"] = as_pretty_json
    environment.globals["version"] = __version__
    environment.globals["freshness_meanings"] = FRESHNESS_MEANINGS
    environment.globals["no_freshness_meaning"] = NO_FRESHNESS_MEANING
    return environment


templates = _environment()


def render(
    request: Request,
    template: str,
    *,
    session: UiSession | None = None,
    status: int = 200,
    csrf_token: str | None = None,
    **context: Any,
) -> HTMLResponse:
    page = templates.get_template(template).render(
        path=request.url.path,
        session=session,
        csrf_token=session.csrf_token if session else csrf_token,
        **context,
    )
    return HTMLResponse(page, status_code=status, headers={"cache-control": "no-store"})


def wants_fragment(request: Request) -> bool:
    """An htmx request for part of a page (boosted links and forms want whole pages)."""
    return bool(request.headers.get(HTMX_HEADER)) and not request.headers.get(BOOSTED_HEADER)


def redirect(request: Request, location: str) -> Response:
    """See-other for a plain browser; htmx follows HX-Redirect with a full page load."""
    if request.headers.get(HTMX_HEADER):
        return Response(status_code=200, headers={"HX-Redirect": location})
    return RedirectResponse(location, status_code=303)
