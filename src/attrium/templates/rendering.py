"""Liquid (python-liquid) in a sandbox: no file or network access, bounded work.

The environment has no loader and no `include`/`render` tags, so a template reaches
nothing but the data it is given. Loops, output and local variables are bounded.
Liquid's errors become 422s that name the line and column.
"""

from collections.abc import Mapping
from typing import Any, ClassVar

from liquid import BoundTemplate, Environment
from liquid.exceptions import LiquidError, LiquidSyntaxError, ResourceLimitError

from attrium.core.errors import FieldError, ValidationFailed

MAX_TEMPLATE_CHARS = 65_536


class SandboxedEnvironment(Environment):
    loop_iteration_limit: ClassVar[int | None] = 10_000
    output_stream_limit: ClassVar[int | None] = 100_000
    local_namespace_limit: ClassVar[int | None] = 100_000
    context_depth_limit: ClassVar[int] = 10

    def setup_tags_and_filters(self, *, extra: bool = False) -> None:
        super().setup_tags_and_filters(extra=extra)
        for file_tag in ("include", "render"):
            self.tags.pop(file_tag, None)


_ENVIRONMENT = SandboxedEnvironment(strict_filters=True)


def parse(source: str, field: str = "template") -> BoundTemplate:
    """The parsed template, or ValidationFailed naming the line and column of the error."""
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


def render(template: BoundTemplate, data: Mapping[str, Any], field: str = "template") -> str:
    try:
        return template.render(**data)
    except LiquidError as error:
        raise template_error(error, field) from error


def template_error(error: LiquidError, field: str) -> ValidationFailed:
    if isinstance(error, ResourceLimitError):
        rule = "template.limit"
    elif isinstance(error, LiquidSyntaxError):
        rule = "template.syntax"
    else:
        rule = f"template.{_snake_case(type(error).__name__.removesuffix('Error'))}"
    reason = str(error.message)
    context = error.context()
    position: dict[str, int] = {}
    if context is not None:
        position = {"line": context[0], "column": context[1] + 1}
        reason = f"{reason} (line {position['line']}, column {position['column']})"
    return ValidationFailed(
        f"the template cannot be rendered: {reason}",
        [FieldError(field, rule, reason)],
        extra=position,
    )


def _snake_case(name: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name).lstrip("_")
