"""Entries holding text PostgreSQL cannot store (NUL, lone surrogates) are stored with
it replaced, however many a statement writes (from COPY_FROM_ROWS on, by COPY)."""

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select

from attrium.activity import store
from tests.support.backends import LiveBackend


def _record(workspace_id: str, number: int, details: Any, ref: str | None) -> tuple[Any, ...]:
    values = {
        "workspace_id": workspace_id,
        "activity_id": f"01UNSTORABLE{number:06d}",
        "type": "write_rejected",
        "customer_ref": ref,
        "details": details,
        "source": "api",
        "created_at": datetime.now(UTC),
    }
    return tuple(values.get(name) for name in store.COLUMN_NAMES)


@pytest.mark.parametrize("count", [3, store.COPY_FROM_ROWS + 5])
@pytest.mark.parametrize(
    ("details", "ref"),
    [
        ({"sent": "a\x00b"}, None),  # NUL inside a JSON document
        ({"sent": "fine"}, "id:a\x00b"),  # NUL in a text column
        ({"sent": "\ud800"}, None),  # a lone surrogate
    ],
    ids=["nul-in-json", "nul-in-text", "surrogate"],
)
def test_unstorable_text_is_replaced(
    backend: LiveBackend, count: int, details: Any, ref: str | None
) -> None:
    workspace_id = f"ws_unstorable_{uuid.uuid4().hex}"
    records = [_record(workspace_id, n, {"sent": "plain"}, None) for n in range(count - 1)]
    records.append(_record(workspace_id, count - 1, details, ref))

    async def stored() -> list[Any]:
        async with backend.db.transaction() as connection:
            await store.insert_entries(connection, records)
            rows = await connection.execute(
                select(store.activity.c.details, store.activity.c.customer_ref).where(
                    store.activity.c.workspace_id == workspace_id
                )
            )
            return [tuple(row) for row in rows]

    found = backend.run(stored())
    assert len(found) == count
    odd = [row for row in found if row[0] != {"sent": "plain"} or row[1] is not None]
    assert len(odd) == 1
    assert "\x00" not in str(odd)
    assert "\ufffd" in str(odd)
