"""Property tests: writes with conflicting identifiers, and merges, on both backends.

Whatever the sequence of writes or merges, no identifier ends up on two customers,
and no attribute value that the rules keep is lost.
"""

from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.backends import LiveBackend
from tests.support.workspaces import new_workspace

EXAMPLES = settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

ids = st.sampled_from(["c0", "c1", "c2"])
emails = st.sampled_from(["e0@example.com", "e1@example.com", "e2@example.com"])
phones = st.sampled_from(["+19148440000", "+19148440001"])
attribute_maps = st.dictionaries(st.sampled_from(["a", "b", "c"]), st.integers(-5, 5), max_size=3)
paths = st.one_of(ids, emails.map(lambda email: f"email:{email}"))
bodies = st.fixed_dictionaries(
    {"attributes": attribute_maps},
    optional={"id": ids, "email": emails, "phone": phones},
)


def everyone(api: httpx.Client) -> dict[str, dict[str, Any]]:
    items = api.get("/v1/customers", params={"limit": 1000}).json()["items"]
    return {item["profile_id"]: item for item in items}


def assert_no_identifier_is_shared(customers: dict[str, dict[str, Any]]) -> None:
    for kind in ("id", "email", "phone"):
        values = [item[kind] for item in customers.values() if item[kind] is not None]
        assert len(values) == len(set(values)), (kind, values)


@given(writes=st.lists(st.tuples(paths, bodies), min_size=1, max_size=6))
@EXAMPLES
def test_conflicting_writes_never_share_identifiers_or_lose_values(
    backend: LiveBackend, writes: list[tuple[str, dict[str, Any]]]
) -> None:
    with new_workspace(backend).client() as api:
        for path, body in writes:
            before = everyone(api)
            answer = api.put(f"/v1/customers/{path}", json=body)
            after = everyone(api)
            assert_no_identifier_is_shared(after)
            if answer.status_code in (404, 422):
                assert after == before
                continue
            assert answer.status_code in (200, 201, 409), answer.text
            written = answer.json().get("customer", answer.json())
            target = written["profile_id"]
            expected = {**before.get(target, {}).get("attributes", {}), **body["attributes"]}
            assert after[target]["attributes"] == expected
            for profile_id, customer in before.items():
                if profile_id != target:
                    assert after[profile_id]["attributes"] == customer["attributes"]


profiles = st.fixed_dictionaries(
    {"attributes": attribute_maps}, optional={"email": emails, "phone": phones}
)


@given(primary=profiles, secondary=profiles)
@EXAMPLES
def test_merge_keeps_the_primary_and_gains_only_what_it_lacks(
    backend: LiveBackend, primary: dict[str, Any], secondary: dict[str, Any]
) -> None:
    with new_workspace(backend).client() as api:
        first = api.put("/v1/customers/p", json=primary).json()
        # identifiers the primary holds cannot be the secondary's too
        secondary = {
            key: value
            for key, value in secondary.items()
            if key == "attributes" or primary.get(key) != value
        }
        second = api.put("/v1/customers/s", json=secondary).json()
        answer = api.post(
            "/v1/customers/merge", json={"primary": {"id": "p"}, "secondary": {"id": "s"}}
        )
        assert answer.status_code == 200, answer.text
        customers = everyone(api)
        assert_no_identifier_is_shared(customers)
        assert list(customers) == [first["profile_id"]]
        merged = customers[first["profile_id"]]
        assert merged["attributes"] == {**second["attributes"], **first["attributes"]}
        for kind in ("email", "phone"):
            assert merged[kind] == (first[kind] or second[kind])
