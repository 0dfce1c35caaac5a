"""Time text: comparing two as text is comparing the instants (no parsing on writes)."""

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from attrium.customers.timing import event_time, time_text

offsets = st.integers(-14 * 60, 14 * 60).map(lambda minutes: timezone(timedelta(minutes=minutes)))
moments = st.datetimes(
    min_value=datetime(1000, 1, 2), max_value=datetime(9999, 12, 30), timezones=offsets
)


@given(first=moments, second=moments)
def test_text_order_is_time_order(first: datetime, second: datetime) -> None:
    assert (time_text(first) < time_text(second)) == (first < second)
    assert (time_text(first) == time_text(second)) == (first == second)


@given(moment=moments)
def test_rfc_3339_and_unix_seconds_name_the_same_instant(moment: datetime) -> None:
    moment = moment.replace(microsecond=0)
    assert event_time(moment.isoformat()) == event_time(int(moment.timestamp()))
    assert event_time(moment.isoformat()) == time_text(moment.astimezone(UTC))


@pytest.mark.parametrize(
    "value",
    [
        "2024-05-01T12:00:00",
        "2024-05-01",
        "noon",
        True,
        None,
        [1],
        1e20,
        float("nan"),
        "0001-01-01T00:00:00+01:00",
    ],
)
def test_what_is_not_a_timestamp(value: object) -> None:
    with pytest.raises(ValueError, match="RFC 3339"):
        event_time(value)
