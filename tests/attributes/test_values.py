"""The pure value rules: shapes, inference and canonical forms."""

import math

import pytest

from attrium.attributes.values import (
    AttributeType,
    InvalidValue,
    NestedLimits,
    TypeSpec,
    ValueLimits,
    canonical_value,
    check_shape,
    infer_type,
    name_error,
)

LIMITS = ValueLimits()


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (True, AttributeType.BOOLEAN),
        (24, AttributeType.NUMBER),
        (2.5, AttributeType.NUMBER),
        ("24", AttributeType.STRING),
        ("blue", AttributeType.STRING),
        ("2024-05-01T10:00:00Z", AttributeType.DATETIME),
        ("2024-05-01T10:00:00+02:00", AttributeType.DATETIME),
        ("2024-13-01T10:00:00Z", AttributeType.STRING),
    ],
)
def test_first_value_fixes_the_type(value: object, expected: AttributeType) -> None:
    assert infer_type(value, LIMITS) is expected  # type: ignore[arg-type]


def test_numeric_strings_make_numbers_when_the_route_says_so() -> None:
    attentive = ValueLimits(numeric_strings_are_numbers=True)
    assert infer_type("24", attentive) is AttributeType.NUMBER
    assert infer_type("24 years", attentive) is AttributeType.STRING


@pytest.mark.parametrize(
    ("spec", "given", "canonical"),
    [
        (TypeSpec(AttributeType.NUMBER), "24", 24),
        (TypeSpec(AttributeType.NUMBER), "-3.5", -3.5),
        (TypeSpec(AttributeType.NUMBER), 24.0, 24),
        (TypeSpec(AttributeType.NUMBER), "1e3", 1000),
        (TypeSpec(AttributeType.BOOLEAN), "true", True),
        (TypeSpec(AttributeType.BOOLEAN), False, False),
        (TypeSpec(AttributeType.DATETIME), "2024-05-01T12:00:00+02:00", "2024-05-01T10:00:00Z"),
        (TypeSpec(AttributeType.DATETIME), "2024-05-01", "2024-05-01T00:00:00Z"),
        (TypeSpec(AttributeType.DATETIME), 0, "1970-01-01T00:00:00Z"),
        (TypeSpec(AttributeType.DATETIME), "2024-05-01T10:00:00.5Z", "2024-05-01T10:00:00.500000Z"),
        (TypeSpec(AttributeType.ENUM, ("Adult", "Teen")), "Teen", "Teen"),
        (TypeSpec(AttributeType.STRING, max_length=3), "abc", "abc"),
    ],
)
def test_values_that_fit_take_their_canonical_form(
    spec: TypeSpec, given: object, canonical: object
) -> None:
    result = canonical_value("x", given, spec)
    assert result == canonical
    assert type(result) is type(canonical)


@pytest.mark.parametrize(
    ("spec", "given", "rule"),
    [
        (TypeSpec(AttributeType.NUMBER), "24abc", "type.number"),
        (TypeSpec(AttributeType.NUMBER), " 24", "type.number"),
        (TypeSpec(AttributeType.NUMBER), True, "type.number"),
        (TypeSpec(AttributeType.NUMBER), 2**53 + 1, "type.number"),
        (TypeSpec(AttributeType.BOOLEAN), "yes", "type.boolean"),
        (TypeSpec(AttributeType.BOOLEAN), 1, "type.boolean"),
        (TypeSpec(AttributeType.STRING), 24, "type.string"),
        (TypeSpec(AttributeType.DATETIME), "yesterday", "type.datetime"),
        (TypeSpec(AttributeType.ENUM, ("Adult", "Teen")), "teen", "type.enum"),
        (TypeSpec(AttributeType.STRING, max_length=3), "abcd", "type.string"),
    ],
)
def test_values_that_do_not_fit_are_refused_by_name(
    spec: TypeSpec, given: object, rule: str
) -> None:
    with pytest.raises(InvalidValue) as refused:
        canonical_value("age", given, spec)
    assert refused.value.error.rule == rule
    assert "age" in refused.value.error.message


def test_mismatch_message_names_attribute_expected_type_and_given_type() -> None:
    with pytest.raises(InvalidValue) as refused:
        canonical_value("age", "abc", TypeSpec(AttributeType.NUMBER))
    assert refused.value.error.message == "attribute 'age' has type number; got a string ('abc')"


@pytest.mark.parametrize(
    ("value", "rule"),
    [
        (["chicago", "new york"], "value.type"),
        ({"favorite city": "Boston"}, "value.type"),
        ("", "value.empty"),
        ("x" * 1001, "value.too_long"),
        ("é" * 501, "value.too_long"),
        ("a\x00b", "value.encoding"),
        ("\ud800", "value.encoding"),
        (math.inf, "value.number"),
        (math.nan, "value.number"),
    ],
)
def test_shapes_no_attribute_may_hold(value: object, rule: str) -> None:
    with pytest.raises(InvalidValue) as refused:
        check_shape("attributes.x", value, LIMITS)
    assert refused.value.error.rule == rule
    assert refused.value.error.field == "attributes.x"


def test_strings_up_to_the_limit_in_bytes_are_fine() -> None:
    check_shape("x", "x" * 1000, LIMITS)
    check_shape("x", "é" * 500, LIMITS)


@pytest.mark.parametrize(
    ("name", "rule"),
    [("", "name.empty"), ("x" * 201, "name.too_long"), ("a\nb", "name.control_character")],
)
def test_names_that_cannot_name_an_attribute(name: str, rule: str) -> None:
    problem = name_error(name, LIMITS, "attributes")
    assert problem is not None
    assert problem.rule == rule


def test_names_up_to_200_characters_and_any_case_are_fine() -> None:
    assert name_error("x" * 200, LIMITS, "f") is None
    assert name_error("Favorite color", LIMITS, "f") is None


def test_name_limit_in_bytes_when_the_route_sets_one() -> None:
    customerio = ValueLimits(max_name_bytes=150)
    problem = name_error("é" * 76, customerio, "f")
    assert problem is not None
    assert problem.rule == "name.too_long"


NESTED = ValueLimits(nested=NestedLimits(max_depth=2, max_array_length=3, max_bytes=64))


def test_objects_and_arrays_take_their_own_types() -> None:
    assert infer_type({"city": "Lisbon"}, NESTED) is AttributeType.OBJECT
    assert infer_type(["a"], NESTED) is AttributeType.ARRAY


@pytest.mark.parametrize(
    ("value", "rule"),
    [
        ({"a": {"b": {"c": 1}}}, "value.depth"),
        ([1, 2, 3, 4], "value.array_length"),
        ({"a": "x" * 70}, "value.too_large"),
        ({"a": math.inf}, "value.number"),
        ({"": 1}, "value.key"),
        (["a\x00"], "value.encoding"),
    ],
)
def test_nested_values_have_limits(value: object, rule: str) -> None:
    with pytest.raises(InvalidValue) as refused:
        check_shape("x", value, NESTED)
    assert refused.value.error.rule == rule


def test_without_nested_limits_objects_and_arrays_are_refused() -> None:
    for value in ({"a": 1}, [1]):
        with pytest.raises(InvalidValue) as refused:
            check_shape("x", value, LIMITS)
        assert refused.value.error.rule == "value.type"


def test_the_canonical_object_drops_null_members() -> None:
    spec = TypeSpec(AttributeType.OBJECT)
    assert canonical_value("x", {"a": None, "b": [None, {"c": None}]}, spec) == {"b": [None, {}]}
