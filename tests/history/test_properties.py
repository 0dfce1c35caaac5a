"""Property: as of each write's time, a customer reads exactly as that write left it."""

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.history.support import as_of, moment, put
from tests.support.workspaces import TestWorkspace, new_workspace

# One type per attribute (the catalog learns it from the first write); None removes.
ATTRIBUTE_VALUES = {
    "x": st.one_of(st.none(), st.integers(-3, 3)),
    "y": st.one_of(st.none(), st.sampled_from(["a", "b", "c"])),
    "z": st.one_of(st.none(), st.booleans()),
}
WRITES = st.lists(
    st.fixed_dictionaries(
        {
            "customer": st.sampled_from(["p", "s"]),
            "attributes": st.fixed_dictionaries({}, optional=ATTRIBUTE_VALUES),
            "email": st.sampled_from([None, "keep", "drop", "a", "b"]),
        }
    ),
    min_size=1,
    max_size=6,
)
SHOWN = ("id", "email", "attributes", "custom_identifiers")


def _body(write: dict[str, Any]) -> dict[str, Any]:
    body: dict[str, Any] = {"attributes": write["attributes"]}
    if write["email"] == "drop":
        body["email"] = None
    elif write["email"] not in (None, "keep"):
        body["email"] = f"{write['customer']}-{write['email']}@example.com"
    return body


@settings(max_examples=10, deadline=None, suppress_health_check=list(HealthCheck))
@given(writes=WRITES, merge_after=st.integers(0, 6))
def test_as_of_each_write_is_the_state_it_left(
    workspace: TestWorkspace, writes: list[dict[str, Any]], merge_after: int
) -> None:
    """Random writes to two customers, the second merged into the first at a random
    point: each instant between writes reads as the state the writes left then."""
    fresh = new_workspace(workspace.backend)
    seen: list[tuple[str, str, dict[str, Any]]] = []  # (customer, instant, state)
    with fresh.client() as api:
        put(api, "p", attributes={"x": 0})
        merged = False
        for index, write in enumerate(writes):
            if index == merge_after and not merged:
                body = {"primary": {"id": "p"}, "secondary": {"id": "s"}}
                answer = api.post("/v1/customers/merge", json=body)
                merged = answer.status_code == 200
                seen.append(("p", moment(), _state(api, "p")))
            customer = "p" if merged else write["customer"]
            put(api, customer, **_body(write))
            seen.append((customer, moment(), _state(api, customer)))
        for customer, instant, state in seen:
            if merged and customer == "s":
                continue  # merged away: it no longer exists
            past = as_of(api, customer, instant)
            assert {name: past[name] for name in SHOWN} == state, (customer, instant)


def _state(api: Any, customer: str) -> dict[str, Any]:
    current = api.get(f"/v1/customers/{customer}")
    assert current.status_code == 200, current.text
    found = current.json()
    return {name: found[name] for name in SHOWN}
