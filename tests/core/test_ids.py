"""Generated ULIDs: valid, increasing, and timestamped now, one at a time or in bulk."""

import time

from ulid import ULID

from attrium.core.ids import new_ulid, new_ulids


def test_ids_made_in_bulk_and_alone_keep_increasing() -> None:
    made = new_ulids(5000) + [new_ulid() for _ in range(100)] + new_ulids(3000) + new_ulids(1)
    assert made == sorted(made)
    assert len(set(made)) == len(made)


def test_ids_are_ulids_of_the_current_millisecond() -> None:
    before = time.time_ns() // 1_000_000
    made = new_ulids(2048)
    after = time.time_ns() // 1_000_000
    for text in made:
        parsed = ULID.from_str(text)
        assert str(parsed) == text
        assert before <= parsed.milliseconds <= after + 1
