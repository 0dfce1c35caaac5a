"""Per-workspace settings, on both backends."""

import httpx

from tests.support.problems import assert_problem


def test_settings_show_defaults_and_overrides(api: httpx.Client) -> None:
    workspace = api.get("/v1/workspace").json()
    assert workspace["settings"]["max_attributes"] == 100
    assert workspace["overrides"] == {}
    changed = api.patch("/v1/workspace/settings", json={"max_attributes": 5}).json()
    assert changed["settings"]["max_attributes"] == 5
    assert changed["overrides"] == {"max_attributes": 5}
    reset = api.patch("/v1/workspace/settings", json={"max_attributes": None}).json()
    assert reset["settings"]["max_attributes"] == 100


def test_settings_are_validated(api: httpx.Client) -> None:
    assert_problem(
        api.patch("/v1/workspace/settings", json={"max_attributes": 0}), 422, "max_attributes"
    )
    assert_problem(api.patch("/v1/workspace/settings", json={"colour": 1}), 422, "colour")
