"""Property: the SQL a predicate compiles to selects what the Python reference selects."""

from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.segments.reference import matches
from tests.segments.support import declare, put
from tests.support.workspaces import TestWorkspace, new_workspace

NOW = datetime.now(UTC)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


TYPES = {"n": "number", "s": "string", "b": "boolean", "d": "datetime", "e": "enum", "p": "string"}
DEFAULTS = {"p": "ab"}
POOLS: dict[str, list[Any]] = {
    "n": [-2, 0, 1, 1.5, 3, 10, 2**53 - 1],
    "s": ["a", "ab", "Ab", "ü", "üx", "日本", "a%", "_b"],
    "b": [True, False],
    "d": [
        "1999-12-31T00:00:00Z",
        "2024-05-01T10:00:00Z",
        "2024-05-01T10:00:00.500000Z",
        *(_iso(NOW - timedelta(days=days + 0.5)) for days in (0, 2, 5)),
        _iso(NOW + timedelta(days=1.5)),
    ],
    "e": ["x", "y", "z"],
    "p": ["ab", "b", "üx"],
}
POOLS_TO_ASK = {**POOLS, "s": [*POOLS["s"], "ß"]}
OPS = {
    "number": ["eq", "neq", "gt", "gte", "lt", "lte", "in", "not_in", "exists", "not_exists"],
    "string": ["eq", "neq", "in", "not_in", "contains", "starts_with", "exists", "not_exists"],
    "boolean": ["eq", "neq", "exists", "not_exists"],
    "datetime": ["eq", "neq", "gt", "lte", "before", "after", "within_last_days", "not_exists"],
    "enum": ["eq", "neq", "in", "not_in", "exists"],
}


@st.composite
def conditions(draw: st.DrawFn) -> dict[str, Any]:
    if draw(st.integers(0, 9)) == 0:
        return {"identifier": "email", "op": draw(st.sampled_from(["exists", "not_exists"]))}
    name = draw(st.sampled_from(sorted(TYPES)))
    op = draw(st.sampled_from(OPS[TYPES[name]]))
    condition: dict[str, Any] = {"attribute": name, "op": op}
    pool = POOLS_TO_ASK[name]
    if op in ("in", "not_in"):
        condition["value"] = draw(st.lists(st.sampled_from(pool), min_size=1, max_size=3))
    elif op == "within_last_days":
        condition["value"] = draw(st.integers(1, 6))
    elif op in ("contains", "starts_with"):
        condition["value"] = draw(st.sampled_from(["a", "b", "ü", "日", "%", "_"]))
    elif op not in ("exists", "not_exists"):
        condition["value"] = draw(st.sampled_from(pool))
    return condition


PREDICATES = st.recursive(
    conditions(),
    lambda parts: st.one_of(
        st.builds(lambda items: {"all": items}, st.lists(parts, max_size=3)),
        st.builds(lambda items: {"any": items}, st.lists(parts, max_size=3)),
        st.builds(lambda part: {"not": part}, parts),
    ),
    max_leaves=6,
)
VALUES = st.sampled_from(sorted(TYPES)).flatmap(
    lambda name: st.tuples(st.just(name), st.sampled_from(POOLS[name]))
)
CUSTOMERS = st.lists(
    st.fixed_dictionaries({"email": st.booleans(), "values": st.lists(VALUES, max_size=6)}),
    max_size=7,
)


def _seed(fresh: TestWorkspace, drawn: list[dict[str, Any]]) -> list[dict[str, Any]]:
    customers = []
    with fresh.client() as api:
        declare(api, "e", "enum", enum_values=POOLS["e"])
        declare(api, "p", "string", default=DEFAULTS["p"])
        for name, attribute_type in TYPES.items():
            if name not in ("e", "p"):
                declare(api, name, attribute_type)
        for index, person in enumerate(drawn):
            email = f"c{index}@example.com" if person["email"] else None
            attributes = dict(person["values"])
            put(api, f"c{index}", email=email, attributes=attributes)
            customers.append({"id": f"c{index}", "email": email, "attributes": attributes})
    return customers


@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
@given(drawn=CUSTOMERS, trees=st.lists(PREDICATES, min_size=1, max_size=6))
def test_sql_selects_what_the_reference_selects(
    workspace: TestWorkspace, drawn: list[dict[str, Any]], trees: list[dict[str, Any]]
) -> None:
    fresh = new_workspace(workspace.backend)
    customers = _seed(fresh, drawn)
    now = datetime.now(UTC)
    with fresh.client() as api:
        for tree in trees:
            answer = api.post("/v1/segments/preview", json={"predicate": tree, "sample": 100})
            assert answer.status_code == 200, (tree, answer.text)
            found = {customer["id"] for customer in answer.json()["sample"]}
            expected = {
                customer["id"]
                for customer in customers
                if matches(tree, customer, TYPES, DEFAULTS, now)
            }
            assert found == expected, tree
            assert answer.json()["count"] == len(expected)
