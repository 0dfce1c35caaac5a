"""Property: any sequence of PATCHes yields the fold of the dicts."""

from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.workspaces import TestWorkspace, new_workspace

NAMES = st.sampled_from(["a", "b", "Favorite color", "favorite color", "ünï", "x.y"])
NUMBERS = st.one_of(
    st.integers(-(2**53) + 1, 2**53 - 1), st.floats(allow_nan=False, allow_infinity=False, width=32)
)
PATCHES = st.lists(st.dictionaries(NAMES, st.one_of(st.none(), NUMBERS), max_size=4), max_size=6)


def fold(patches: list[dict[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for patch in patches:
        for name, value in patch.items():
            if value is None:
                result.pop(name, None)
            else:
                result[name] = value
    return result


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(patches=PATCHES)
def test_patches_fold_like_dicts(workspace: TestWorkspace, patches: list[dict[str, Any]]) -> None:
    fresh = new_workspace(workspace.backend)
    with fresh.client() as api:
        api.put("/v1/customers/c1", json={})
        for patch in patches:
            answer = api.patch("/v1/customers/c1/attributes", json=patch)
            assert answer.status_code == 200, answer.text
        stored = api.get("/v1/customers/c1").json()["attributes"]
    expected = fold(patches)
    assert stored.keys() == expected.keys()
    for name, value in expected.items():
        assert stored[name] == value or abs(stored[name] - value) <= abs(value) * 1e-6


def test_fold_reference() -> None:
    assert fold([{"a": 1, "b": 2}, {"a": None}, {"c": 3.5}]) == {"b": 2, "c": 3.5}


def test_client_is_real_http(api: httpx.Client) -> None:
    assert str(api.base_url).startswith("http://127.0.0.1:")
