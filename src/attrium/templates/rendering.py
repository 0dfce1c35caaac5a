"""Liquid (python-liquid) in a sandbox: no file or network access, bounded work.

The environment has no loader and no `include`/`render` tags, so a template reaches
nothing but the data it is given. Loops, output, local variables, the size of every
value a filter takes or makes, and the time of a render are bounded (see `limits`).
Rendering runs in a small pool of worker threads, never on the event loop, so a slow
template delays only its own answer. Liquid's errors become 422s that name the line
and column, and for a bound, the limit.
"""

import asyncio
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, ClassVar

from liquid import BoundTemplate, Environment
from liquid.exceptions import (
    BlockNestingError,
    ContextDepthError,
    LiquidError,
    LiquidSyntaxError,
    LocalNamespaceLimitError,
    LoopIterationLimitError,
    OutputStreamLimitError,
    ResourceLimitError,
)
from liquid.output import LimitedStringIO
from liquid.stream import TokenStream
from liquid.token import Token

from attrium.core.database import dump_json
from attrium.core.errors import FieldError, ValidationFailed
from attrium.templates.limits import (
    RENDER_SECONDS,
    BoundedContext,
    BoundedForTag,
    BoundedTablerowTag,
    SandboxLimitError,
)

MAX_TEMPLATE_CHARS = 65_536
LOOP_ITERATION_LIMIT = 10_000
OUTPUT_STREAM_LIMIT = 100_000
LOCAL_NAMESPACE_LIMIT = 100_000
CONTEXT_DEPTH_LIMIT = 10
# Parsing and rendering hold the GIL: more threads would not be faster, only take
# more of the event loop's turns.
WORKER_THREADS = 2

_LIQUID_LIMITS: dict[type[LiquidError], str] = {
    BlockNestingError: "block_nesting_limit",
    ContextDepthError: "context_depth_limit",
    LoopIterationLimitError: "loop_iteration_limit",
    OutputStreamLimitError: "output_stream_limit",
    LocalNamespaceLimitError: "local_namespace_limit",
}


class BoundedTemplate(BoundTemplate):
    context_class = BoundedContext


class SandboxedEnvironment(Environment):
    loop_iteration_limit: ClassVar[int | None] = LOOP_ITERATION_LIMIT
    output_stream_limit: ClassVar[int | None] = OUTPUT_STREAM_LIMIT
    local_namespace_limit: ClassVar[int | None] = LOCAL_NAMESPACE_LIMIT
    context_depth_limit: ClassVar[int] = CONTEXT_DEPTH_LIMIT
    template_class = BoundedTemplate

    def setup_tags_and_filters(self, *, extra: bool = False) -> None:
        super().setup_tags_and_filters(extra=extra)
        for file_tag in ("include", "render"):
            self.tags.pop(file_tag, None)
        self.tags["for"] = BoundedForTag(self)
        self.tags["tablerow"] = BoundedTablerowTag(self)
        self.filters["json"] = json_text


class JsonObject(dict[str, Any]):
    """An object value as a template sees it: its members by name, and its JSON text
    when output whole (`{{ customer.address }}`), not Python's repr."""

    def __str__(self) -> str:
        return dump_json(self)


def template_value(value: Any) -> Any:
    """An attribute value as templates see it: objects, at any depth, as `JsonObject`."""
    if isinstance(value, dict):
        return JsonObject({key: template_value(item) for key, item in value.items()})
    if isinstance(value, list):
        return [template_value(item) for item in value]
    return value


def json_text(value: object) -> str:
    """The `json` filter: a value as compact JSON text (nothing for an undefined one)."""
    if value is None or isinstance(value, dict | list | str | int | float | bool):
        return dump_json(value)
    return ""


_ENVIRONMENT = SandboxedEnvironment(strict_filters=True)


_WORKERS = ThreadPoolExecutor(max_workers=WORKER_THREADS, thread_name_prefix="liquid")


async def parse(source: str, field: str = "template") -> BoundTemplate:
    """The parsed template, or ValidationFailed naming the line and column of the error.

    Parsing a long template takes a noticeable time too: it runs in a worker thread.
    """
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(_WORKERS, _parse, source, field)


def _parse(source: str, field: str) -> BoundTemplate:
    if len(source) > MAX_TEMPLATE_CHARS:
        message = f"a template holds at most {MAX_TEMPLATE_CHARS} characters"
        raise ValidationFailed(message, [FieldError(field, "template.too_long", message)])
    try:
        template = _ENVIRONMENT.from_string(source)
    except LiquidError as error:
        raise template_error(error, field) from error
    _refuse_unknown_filters(template, source, field)
    return template


def _refuse_unknown_filters(template: BoundTemplate, source: str, field: str) -> None:
    """Liquid finds an unknown filter only when it runs; a saved template fails now."""
    for name, spans in template.analyze().filters.items():
        if name not in _ENVIRONMENT.filters:
            line, column = _position(source, spans[0].index)
            reason = f"unknown filter {name!r} (line {line}, column {column})"
            raise ValidationFailed(
                f"the template cannot be rendered: {reason}",
                [FieldError(field, "template.unknown_filter", reason)],
                extra={"line": line, "column": column},
            )


def _position(source: str, index: int) -> tuple[int, int]:
    """1-based line and column of a character index."""
    before = source[:index]
    return before.count("\n") + 1, index - (before.rfind("\n") + 1) + 1


async def render(template: BoundTemplate, data: Mapping[str, Any], field: str = "template") -> str:
    """`template` rendered with `data`, in a worker thread."""
    (text,) = await render_each(template, [data], field)
    return text


async def render_each(
    template: BoundTemplate, variable_sets: Sequence[Mapping[str, Any]], field: str = "template"
) -> list[str]:
    """`template` rendered once per item of `variable_sets`, all within one render's time."""
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(_WORKERS, _render_each, template, variable_sets, field)


def _render_each(
    template: BoundTemplate, variable_sets: Sequence[Mapping[str, Any]], field: str
) -> list[str]:
    deadline = time.monotonic() + RENDER_SECONDS
    try:
        return [_render_one(template, variables, deadline) for variables in variable_sets]
    except LiquidError as error:
        raise template_error(error, field) from error


def _render_one(template: BoundTemplate, variables: Mapping[str, Any], deadline: float) -> str:
    context = BoundedContext(template, globals=template.make_globals(variables), deadline=deadline)
    buffer = LimitedStringIO(limit=OUTPUT_STREAM_LIMIT)
    template.render_with_context(context, buffer)
    return buffer.getvalue()


def template_error(error: LiquidError, field: str) -> ValidationFailed:
    if isinstance(error, ResourceLimitError):
        rule = "template.limit"
    elif isinstance(error, LiquidSyntaxError):
        rule = "template.syntax"
    else:
        rule = f"template.{_snake_case(type(error).__name__.removesuffix('Error'))}"
    reason = str(error.message)
    position = _error_position(error)
    extra: dict[str, int | str] = {}
    if position is not None:
        extra = {"line": position[0], "column": position[1]}
        reason = f"{reason} (line {extra['line']}, column {extra['column']})"
    limit = _limit_name(error)
    if limit is not None:
        extra["limit"] = limit
    return ValidationFailed(
        f"the template cannot be rendered: {reason}",
        [FieldError(field, rule, reason)],
        extra=extra,
    )


def _error_position(error: LiquidError) -> tuple[int, int] | None:
    """1-based line and column of `error` in its template.

    Liquid gives none when a tag's expression or the template ended too early (its
    token is the stream's end, at index -1): the position is then that of the last
    token read before the end, found in the streams Liquid was parsing.
    """
    context = error.context()
    if context is not None:
        return context[0], context[1] + 1
    token = _last_token_read(error)
    if token is None or token.start_index < 0 or not token.source:
        return None
    return _position(token.source, token.start_index)


def _last_token_read(error: LiquidError) -> Token | None:
    frames = []
    trace = error.__traceback__
    while trace is not None:
        frames.append(trace.tb_frame)
        trace = trace.tb_next
    for frame in reversed(frames):  # the innermost stream first
        for value in frame.f_locals.values():
            if isinstance(value, TokenStream) and value.tokens:
                return value.tokens[max(0, min(value.pos, len(value.tokens)) - 1)]
    return None


def _limit_name(error: LiquidError) -> str | None:
    if isinstance(error, SandboxLimitError):
        return error.limit
    return _LIQUID_LIMITS.get(type(error))


def _snake_case(name: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name).lstrip("_")
