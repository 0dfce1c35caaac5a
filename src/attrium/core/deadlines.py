"""Deadlines for many short waits, kept by one timer per event loop.

Every request waits twice on its client: for its head, and for its body. A timer per
wait (`loop.call_later`, `asyncio.timeout`) costs more than the wait itself usually
takes, since the bytes have mostly arrived already. `Deadlines` keeps the waits in a
dict and checks them every eighth of the timeout with one timer, which runs only
while something waits: a wait that outlasts the timeout is called back between
1 and 1.125 timeouts after it began.
"""

import asyncio
import weakref
from collections.abc import Callable, Hashable

CHECKS_PER_TIMEOUT = 8

_by_loop: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[float, Deadlines]]" = (
    weakref.WeakKeyDictionary()
)


def deadlines(seconds: float) -> "Deadlines":
    """The running loop's deadlines of `seconds` (each loop checks only its own waits)."""
    loop = asyncio.get_running_loop()
    last = _last_found
    if last is not None and last.loop is loop and last.seconds == seconds:
        return last
    return _find(loop, seconds)


_last_found: "Deadlines | None" = None


def _find(loop: asyncio.AbstractEventLoop, seconds: float) -> "Deadlines":
    global _last_found
    of_loop = _by_loop.get(loop)
    if of_loop is None:
        of_loop = _by_loop[loop] = {}
    found = of_loop.get(seconds)
    if found is None:
        found = of_loop[seconds] = Deadlines(seconds, loop)
    _last_found = found
    return found


class Deadlines:
    def __init__(self, seconds: float, loop: asyncio.AbstractEventLoop) -> None:
        self.seconds = seconds
        self.loop = loop
        self.waiting: dict[Hashable, tuple[float, Callable[[], None]]] = {}
        self.timer: asyncio.TimerHandle | None = None

    def watch(self, key: Hashable, on_expiry: Callable[[], None]) -> None:
        """Call `on_expiry` if `key` still waits in `seconds` (replaces its earlier wait)."""
        self.waiting[key] = (self.loop.time() + self.seconds, on_expiry)
        if self.timer is None:
            self._check_later()

    def unwatch(self, key: Hashable) -> None:
        self.waiting.pop(key, None)

    def _check_later(self) -> None:
        self.timer = self.loop.call_later(self.seconds / CHECKS_PER_TIMEOUT, self._check)

    def _check(self) -> None:
        now = self.loop.time()
        expired = [key for key, (deadline, _) in self.waiting.items() if deadline <= now]
        callbacks = [self.waiting.pop(key)[1] for key in expired]
        self.timer = None
        if self.waiting:
            self._check_later()
        for on_expiry in callbacks:
            on_expiry()
