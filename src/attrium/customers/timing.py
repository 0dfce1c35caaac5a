"""Event time and write-once: which attributes of a write may change the stored value.

Every attribute a customer holds (or held: a removal keeps its time) has the time its
value is from, in the row's `attribute_times` ({name: time text}). A write carries
its own time: the `timestamp` it was sent with, else the moment it is applied. Per
attribute, a timestamped write older than the stored value's time leaves the value
(the activity entry records it as stale, with both times), so backfills and late
arrivals never undo newer data, whatever order they arrive in. A write without a
timestamp applies as it always did (the last write wins) and records its own time.

`set_once` attributes are written only where the customer holds no value. Both rules
are decided by the pipeline's plan, under the row lock: no concurrent write can slip
in between the comparison and the write.

Times are kept as fixed-width UTC text (`2024-05-01T12:00:00.000000Z`), so comparing
two is comparing their text: no parsing on the write path.
"""

import functools
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

NO_TIMES: Mapping[str, str] = {}
NO_NAMES: frozenset[str] = frozenset()


def time_text(moment: datetime) -> str:
    """`moment` (timezone aware) as the fixed-width UTC text times are compared by."""
    # isoformat pads the year to four digits (strftime's %Y does not, before 1000).
    utc = moment.astimezone(UTC).replace(tzinfo=None)
    return utc.isoformat(timespec="microseconds") + "Z"


# A batch's writes share one moment: its text is made once.
batch_time_text = functools.lru_cache(maxsize=8)(time_text)


def event_time(value: Any) -> str:
    """A write's `timestamp` (RFC 3339 text with an offset, or Unix seconds) as time
    text; ValueError saying what is accepted otherwise."""
    if isinstance(value, bool):
        raise ValueError(_ACCEPTED)
    if isinstance(value, int | float):
        try:
            return time_text(datetime.fromtimestamp(value, UTC))
        except (OverflowError, OSError, ValueError):
            raise ValueError(f"{value} is out of range: {_ACCEPTED}") from None
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str):
        if _SECONDS.fullmatch(value):  # a query string's Unix seconds
            return event_time(float(value))
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            raise ValueError(_ACCEPTED) from None
    else:
        raise ValueError(_ACCEPTED)
    if moment.tzinfo is None:
        raise ValueError(f"{_ACCEPTED}: give the offset (Z or +hh:mm)")
    try:
        return time_text(moment)
    except OverflowError:  # 0001-01-01T00:00:00+01:00 is before the first UTC day
        raise ValueError(f"{value} is out of range: {_ACCEPTED}") from None


_SECONDS = re.compile(r"-?[0-9]+(\.[0-9]+)?")
_ACCEPTED = "a timestamp is RFC 3339 text with an offset (2024-05-01T12:00:00Z) or Unix seconds"


def stale_change(current: Any, sent: Any, sent_at: str, current_at: str) -> dict[str, Any]:
    """The activity record of a value a write left because it was older. `old` and
    `new` are the stored value before and after, as in every record (it stayed), so
    that whoever reads values out of the log is not misled; `sent` is what was not
    written."""
    return {
        "old": current,
        "new": current,
        "stale": True,
        "sent": sent,
        "at": sent_at,
        "current_at": current_at,
    }


def admitted(
    patch: Mapping[str, Any],
    current: Mapping[str, Any],
    times: Mapping[str, str],
    at: str | None,
    once: frozenset[str],
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The part of a canonical `patch` that may write (a timestamped write's `at`, the
    `once` names where no value is held), and the stale record of each attribute an
    older write would have changed."""
    kept: dict[str, Any] = {}
    stale: dict[str, Any] = {}
    for name, value in patch.items():
        if name in once and name in current:
            continue
        held_at = times.get(name)
        if at is not None and held_at is not None and at < held_at:
            if current.get(name) != value:
                stale[name] = stale_change(current.get(name), value, at, held_at)
            continue
        kept[name] = value
    return kept, stale


def advanced(
    times: Mapping[str, str], names: Any, at: str, timestamped: bool
) -> dict[str, str] | None:
    """`times` with each of `names` at `at`, or None when that changes nothing. A
    timestamped write moves a time on only (a value rewritten as it was is still
    from that newer time); a write without one records when it changed a value."""
    if timestamped:
        moved = {name: at for name in names if times.get(name, "") < at}
    else:
        moved = dict.fromkeys(names, at)
    if not moved:
        return None
    return {**times, **moved}
