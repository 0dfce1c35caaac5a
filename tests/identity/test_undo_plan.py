"""The undo's rule, pure: the primary gives back what the merge moved, unless touched."""

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from attrium.identity.undo_plan import Touched, plan_primary

values = st.one_of(st.integers(-3, 3), st.text("ab", max_size=2), st.none())
attribute_maps = st.dictionaries(st.sampled_from(["a", "b", "c", "d"]), values, max_size=4)


def row_of(attributes: dict[str, Any], email: str | None = None) -> dict[str, Any]:
    return {
        "profile_id": "P",
        "external_id": "p",
        "email": email,
        "phone": None,
        "anonymous_id": None,
        "attributes": attributes,
    }


@given(primary=attribute_maps, secondary=attribute_maps)
def test_untouched_gains_are_all_given_back(
    primary: dict[str, Any], secondary: dict[str, Any]
) -> None:
    gained = {name: value for name, value in secondary.items() if name not in primary}
    merged = row_of({**primary, **gained}, "s@example.com")
    moved = {"attributes": gained, "columns": {"email": "s@example.com"}, "custom": {"crm": "1"}}
    plan = plan_primary(merged, {"crm": "1"}, moved, Touched())
    assert plan.conflicts == []
    assert plan.row == row_of(primary)
    assert plan.columns == frozenset({"email"})
    assert plan.custom_removed == ["crm"]


def test_a_later_write_keeps_its_value_even_when_it_wrote_the_same_one() -> None:
    merged = row_of({"a": 1, "b": 2, "c": 3})
    moved = {"attributes": {"b": 2, "c": 3}, "columns": {}, "custom": {}}
    touched = Touched()
    touched.add({"attributes": {"c": {"old": 3, "new": 3}}})
    plan = plan_primary(merged, {}, moved, touched)
    assert plan.row["attributes"] == {"a": 1, "c": 3}
    assert [(c.kind, c.name, c.reason) for c in plan.conflicts] == [
        ("attribute", "c", "changed_since_merge")
    ]


def test_a_write_to_a_nested_path_touches_its_attribute() -> None:
    touched = Touched()
    touched.add({"attributes": {"address.city": {"old": "Porto", "new": "Lisbon"}}})
    assert touched.touches_attribute("address")
    assert not touched.touches_attribute("addresses")
