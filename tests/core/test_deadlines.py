"""One timer per loop keeps every wait's deadline."""

import asyncio

from attrium.core.deadlines import Deadlines, deadlines


def test_a_wait_that_outlasts_its_deadline_is_called_back() -> None:
    async def scenario() -> list[str]:
        called: list[str] = []
        expired = asyncio.Event()
        watching = deadlines(0.01)

        def on_expiry(name: str) -> None:
            called.append(name)
            expired.set()

        watching.watch("late", lambda: on_expiry("late"))
        watching.watch("done", lambda: on_expiry("done"))
        watching.unwatch("done")
        await asyncio.wait_for(expired.wait(), timeout=10)
        return called

    assert asyncio.run(scenario()) == ["late"]


def test_the_timer_stops_when_nothing_waits() -> None:
    async def scenario() -> Deadlines:
        watching = deadlines(0.01)
        expired = asyncio.Event()
        watching.watch("late", expired.set)
        await asyncio.wait_for(expired.wait(), timeout=10)
        return watching

    watching = asyncio.run(scenario())
    assert watching.timer is None
    assert watching.waiting == {}


def test_each_loop_keeps_its_own_deadlines() -> None:
    async def current() -> Deadlines:
        return deadlines(1.0)

    first, second = asyncio.run(current()), asyncio.run(current())
    assert first is not second
    assert first.loop is not second.loop
