"""The statistics' rules without a database: writes to deltas, deltas folded."""

from datetime import UTC, datetime, timedelta

from attrium.attributes.stats import LastWrite, StatChanges, changes_of, delta_rows, fold, purged

WHEN = datetime(2026, 1, 2, tzinfo=UTC)


def test_a_write_gains_and_loses_holders() -> None:
    changes = changes_of(
        [
            ({}, {"plan": "pro", "age": 3}),  # a new customer
            ({"plan": "pro", "age": 3}, {"plan": "free", "age": None}),  # changed, removed
            ({"city": "Rome"}, {"city": None, "plan": "pro"}),
        ],
        deleted=[{"plan", "city"}],
    )
    assert dict(changes.holders) == {"plan": 1, "age": 0, "city": -2}
    assert changes.written == {"plan", "age", "city"}


def test_deletions_and_purges_write_nothing() -> None:
    changes = changes_of([], deleted=[{"plan": "pro"}.keys()])
    assert (dict(changes.holders), changes.written) == ({"plan": -1}, set())
    assert dict(purged("plan", 7).holders) == {"plan": -7}


def test_delta_rows_one_per_touched_attribute() -> None:
    changes = StatChanges()
    changes.add_write({"plan": "pro"}, {"plan": "free"})  # written, no holder change
    changes.add_deleted(["age"])  # holder lost, not written
    changes.add_write({"city": "Rome"}, {"city": None})
    changes.add_write({}, {"city": "Lyon"})  # city: -1 +1, written
    last_write = LastWrite(WHEN, "key_1", "api")
    rows = delta_rows("ws", "customer", changes, last_write)
    found = {row["name"]: (row["holders"], row["last_written_at"]) for row in rows}
    assert found == {"plan": (0, WHEN), "age": (-1, None), "city": (0, WHEN)}
    assert delta_rows("ws", "customer", StatChanges(), last_write) == []


def test_fold_sums_and_keeps_the_newest_write() -> None:
    def delta(
        batch_id: str, holders: int, at: datetime | None, key: str | None
    ) -> dict[str, object]:
        return {
            "workspace_id": "ws",
            "namespace": "customer",
            "name": "plan",
            "batch_id": batch_id,
            "holders": holders,
            "last_written_at": at,
            "last_written_by": key,
            "last_written_source": "api" if at else None,
        }

    later = WHEN + timedelta(seconds=1)
    [row] = fold(
        [
            delta("01", 2, later, "key_b"),
            delta("02", 1, WHEN, "key_a"),
            delta("03", -1, None, None),
            delta("00", 1, later, "key_c"),  # same time, older id
        ]
    )
    assert (row["holders"], row["last_written_at"], row["last_written_by"]) == (3, later, "key_b")
