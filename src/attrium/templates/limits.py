"""The bounds of one render: value sizes, loop lengths and a deadline.

Liquid's own limits (loop iterations, output, local variables) are checked after a
value exists, and its numbers are Python integers of any size: `x | times: x` in a
loop builds a number of millions of digits before anything looks at it. Here every
filter's operands and result are checked, so no step starts from an oversized value,
filters whose result can outgrow their operands many times over (`join`, `replace`)
are refused before they run, loops refuse oversized arrays before slicing them, and
each filter call and loop iteration checks the render's deadline.
"""

import time
from collections.abc import Callable, Iterator, Mapping, Sized
from functools import partial
from typing import Any

from liquid import RenderContext
from liquid.builtin.tags.for_tag import ForLoop, ForNode, ForTag
from liquid.builtin.tags.tablerow_tag import TableRow, TablerowNode, TablerowTag
from liquid.exceptions import ResourceLimitError
from liquid.expression import Expression
from liquid.token import Token

MAX_NUMBER_DIGITS = 100
MAX_TEXT_CHARS = 100_000
MAX_ITEMS = 100_000
RENDER_SECONDS = 1.0
YIELD_SECONDS = 0.001

_NUMBER_BOUND = 10**MAX_NUMBER_DIGITS


class SandboxLimitError(ResourceLimitError):
    """A bound of this sandbox was reached; `limit` names it."""

    def __init__(self, limit: str, message: str, token: Token | None) -> None:
        super().__init__(message, token=token)
        self.limit = limit


def number_limit(where: str, token: Token | None) -> SandboxLimitError:
    message = f"number size limit reached: {where} takes at most {MAX_NUMBER_DIGITS} digits"
    return SandboxLimitError("max_number_digits", message, token)


def text_limit(where: str, token: Token | None) -> SandboxLimitError:
    message = f"text size limit reached: {where} takes at most {MAX_TEXT_CHARS} characters"
    return SandboxLimitError("max_text_chars", message, token)


def items_limit(where: str, token: Token | None) -> SandboxLimitError:
    message = f"array size limit reached: {where} takes at most {MAX_ITEMS} items"
    return SandboxLimitError("max_items", message, token)


def time_limit(token: Token | None) -> SandboxLimitError:
    message = f"render time limit reached: a render takes at most {RENDER_SECONDS:g} seconds"
    return SandboxLimitError("render_seconds", message, token)


def check_value(value: object, where: str, token: Token | None) -> None:
    """Refuse a number, text or array beyond the bounds (NaN counts as too large)."""
    if isinstance(value, bool):
        return
    if isinstance(value, (int, float)):
        if not abs(value) < _NUMBER_BOUND:
            raise number_limit(where, token)
    elif isinstance(value, str):
        if len(value) > MAX_TEXT_CHARS:
            raise text_limit(where, token)
    elif _is_array(value) and _length(value) > MAX_ITEMS:
        raise items_limit(where, token)


def _is_array(value: object) -> bool:
    return isinstance(value, Sized) and not isinstance(value, Mapping)


def _length(value: object) -> int:
    try:
        return len(value)  # type: ignore[arg-type]
    except OverflowError:  # a range longer than sys.maxsize
        return MAX_ITEMS + 1


def _text(value: object) -> str:
    return "" if value is None else value if isinstance(value, str) else str(value)


def _joined_chars(items: object, separator: object = " ", *_: object, **__: object) -> int:
    if not isinstance(items, (list, tuple, range)):
        return 0
    item_chars = sum(len(_text(item)) for item in items)
    return item_chars + len(_text(separator)) * max(len(items) - 1, 0)


def _replaced_chars(
    text: object, old: object = "", new: object = "", *_: object, **__: object
) -> int:
    source, old_text, new_text = _text(text), _text(old), _text(new)
    growth = len(new_text) - len(old_text)
    if growth <= 0:
        return len(source)
    matches = source.count(old_text) if old_text else len(source) + 1
    return len(source) + matches * growth


# Filters whose result can be far larger than their operands: its size, before it exists.
_RESULT_CHARS: dict[str, Callable[..., int]] = {
    "join": _joined_chars,
    "replace": _replaced_chars,
}


class BoundedContext(RenderContext):
    """A render context that checks every filter call and loop step (see module doc)."""

    deadline: float

    def __init__(self, *args: Any, deadline: float | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        parent = self.parent_context
        if deadline is None:
            if isinstance(parent, BoundedContext):
                deadline = parent.deadline
            else:
                deadline = time.monotonic() + RENDER_SECONDS
        self.deadline = deadline
        self._next_yield = 0.0

    def check_deadline(self, token: Token | None) -> None:
        """Past the deadline, stop; otherwise let the event loop's thread have the GIL.

        Left alone, a rendering thread holds the GIL for the interpreter's switch
        interval (5 ms) each time the loop's thread gives it up for I/O, which is many
        times per request: a render would slow every other answer by a tenth of a second.
        """
        now = time.monotonic()
        if now > self.deadline:
            raise time_limit(token)
        if now >= self._next_yield:
            time.sleep(0)
            self._next_yield = now + YIELD_SECONDS

    def filter(self, name: str, token: Token | None) -> Callable[..., object]:
        return partial(self._bounded_call, name, super().filter(name, token), token)

    def _bounded_call(
        self,
        name: str,
        function: Callable[..., object],
        token: Token | None,
        left: object,
        *args: object,
        **kwargs: object,
    ) -> object:
        self.check_deadline(token)
        where = f"the filter '{name}'"
        for operand in (left, *args, *kwargs.values()):
            check_value(operand, where, token)
        result_chars = _RESULT_CHARS.get(name)
        if result_chars is not None and result_chars(left, *args, **kwargs) > MAX_TEXT_CHARS:
            raise text_limit(where, token)
        result = function(left, *args, **kwargs)
        check_value(result, where, token)
        return result

    def loop(self, namespace: Mapping[str, object], forloop: ForLoop | TableRow) -> Any:
        forloop.it = self._timed(forloop.it)
        return super().loop(namespace, forloop)

    def _timed(self, items: Iterator[Any]) -> Iterator[Any]:
        for item in items:
            self.check_deadline(None)
            yield item


class _SizeChecked(Expression):
    """A loop's array, refused when too long before Liquid slices or reverses it."""

    __slots__ = ("inner",)

    def __init__(self, inner: Expression) -> None:
        super().__init__(inner.token)
        self.inner = inner

    def __str__(self) -> str:
        return str(self.inner)

    def evaluate(self, context: RenderContext) -> object:
        items = self.inner.evaluate(context)
        check_value(items, "a loop", self.token)
        return items

    async def evaluate_async(self, context: RenderContext) -> object:
        return self.evaluate(context)

    def children(self) -> list[Expression]:
        return [self.inner]


class _SizeCheckedLoop:
    """A loop node whose iterable is size-checked before it is sliced."""

    expression: Any

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.expression.iterable = _SizeChecked(self.expression.iterable)


class BoundedForNode(_SizeCheckedLoop, ForNode):
    pass


class BoundedForTag(ForTag):
    node_class = BoundedForNode


class BoundedTablerowNode(_SizeCheckedLoop, TablerowNode):
    pass


class BoundedTablerowTag(TablerowTag):
    node_class = BoundedTablerowNode
