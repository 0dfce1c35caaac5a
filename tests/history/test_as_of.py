"""`GET /v1/customers/{ref}?as_of=T`: the profile as it was at T."""

import httpx

from tests.history.support import as_of, moment, put
from tests.support.problems import assert_problem


def test_attributes_and_identifiers_as_they_were(api: httpx.Client) -> None:
    before_creation = moment()
    put(api, "ann", email="ann@example.com", attributes={"plan": "free", "age": 30})
    created = moment()
    put(api, "ann", attributes={"plan": "pro", "city": "Lyon"})
    upgraded = moment()
    put(api, "ann", email="ann@work.example", attributes={"age": None})
    api.patch("/v1/customers/ann/attributes", json={"plan": "team"})

    assert_problem(api.get("/v1/customers/ann", params={"as_of": before_creation}), 404)
    first = as_of(api, "ann", created)
    assert first["attributes"] == {"plan": "free", "age": 30}
    assert first["email"] == "ann@example.com"
    assert first["id"] == "ann"
    assert first["as_of"].startswith(created[:19])
    assert "devices" not in first
    second = as_of(api, "ann", upgraded)
    assert second["attributes"] == {"plan": "pro", "age": 30, "city": "Lyon"}
    assert second["email"] == "ann@example.com"
    now = as_of(api, "ann", moment())
    current = api.get("/v1/customers/ann").json()
    assert now["attributes"] == current["attributes"] == {"plan": "team", "city": "Lyon"}
    assert now["email"] == current["email"] == "ann@work.example"
    assert now["updated_at"] == current["updated_at"]


def test_a_future_instant_means_now(api: httpx.Client) -> None:
    put(api, "bob", attributes={"n": 1})
    assert as_of(api, "bob", "2999-01-01T00:00:00Z")["attributes"] == {"n": 1}


def test_custom_identifiers_as_they_were(api: httpx.Client) -> None:
    put(api, "cat", custom_identifiers={"loyalty": "L1"})
    first = moment()
    put(api, "cat", custom_identifiers={"loyalty": None, "crm": "C9"})
    assert as_of(api, "cat", first)["custom_identifiers"] == {"loyalty": "L1"}
    assert as_of(api, "cat", moment())["custom_identifiers"] == {"crm": "C9"}


def test_bad_as_of_names_the_field(api: httpx.Client) -> None:
    put(api, "dan", attributes={"n": 1})
    for bad in ("yesterday", "2026-03-01T00:00:00", "2026-13-01T00:00:00Z", ""):
        assert_problem(api.get("/v1/customers/dan", params={"as_of": bad}), 422, "as_of")
    assert_problem(api.get("/v1/customers/nobody", params={"as_of": moment()}), 404)


def test_merged_customer_keeps_its_own_past(api: httpx.Client) -> None:
    """The secondary's entries move to the primary, but are no part of its past: before
    the merge the primary shows its own state, after it what the merge gave it."""
    put(api, "primary", attributes={"plan": "free"})
    put(api, "secondary", email="s@example.com", attributes={"plan": "pro", "vip": True})
    put(api, "secondary", attributes={"plan": "team"})
    before_merge = moment()
    merged = api.post(
        "/v1/customers/merge", json={"primary": {"id": "primary"}, "secondary": {"id": "secondary"}}
    )
    assert merged.status_code == 200, merged.text
    after_merge = moment()
    put(api, "primary", attributes={"plan": "enterprise"})

    then = as_of(api, "primary", before_merge)
    assert then["attributes"] == {"plan": "free"}
    assert then["email"] is None
    later = as_of(api, "primary", after_merge)
    assert later["attributes"] == {"plan": "free", "vip": True}
    assert later["email"] == "s@example.com"
    assert_problem(api.get("/v1/customers/secondary", params={"as_of": before_merge}), 404)


def test_attribute_history_pages_newest_first(api: httpx.Client) -> None:
    put(api, "eve", attributes={"plan": "free", "other": 1})
    put(api, "eve", attributes={"other": 2})
    put(api, "eve", attributes={"plan": "pro"})
    api.delete("/v1/customers/eve/attributes/plan")
    url = "/v1/customers/eve/attributes/plan/history"
    first = api.get(url, params={"limit": 2})
    assert first.status_code == 200, first.text
    page = first.json()
    assert [(i["previous"], i["value"]) for i in page["items"]] == [("pro", None), ("free", "pro")]
    rest = api.get(url, params={"limit": 2, "cursor": page["next_cursor"]}).json()
    assert [(i["previous"], i["value"]) for i in rest["items"]] == [(None, "free")]
    assert rest["next_cursor"] is None
    item = rest["items"][0]
    assert item["type"] == "customer_created"
    assert item["source"]
    assert item["key_id"]
    assert item["changed_at"]
    assert api.get("/v1/customers/eve/attributes/never/history").json()["items"] == []
    assert_problem(api.get("/v1/customers/nobody/attributes/plan/history"), 404)
    assert_problem(api.get(url, params={"cursor": "???"}), 422, "cursor")
