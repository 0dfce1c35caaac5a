"""Arbitrary JSON against the validation layer: always a clean 4xx or a success.

Bodies are generated with deep nesting, huge and non-finite numbers (sent as the
raw `NaN`/`Infinity` tokens too), any unicode including control characters, NUL
and lone surrogates (as JSON escapes), and objects with ten thousand keys.
"""

import json
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.problems import assert_problem

EXAMPLES = 25

ANY_CHARACTER = st.characters(codec=None, categories=None)
TEXT = st.text(ANY_CHARACTER, max_size=40) | st.sampled_from(
    ["\x00", "\ud800", "a\udfffb", "\u202e", "\ufeff", "NaN", "Infinity", "1e999", "", " "]
)
NUMBERS = (
    st.integers(min_value=-(2**80), max_value=2**80)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.sampled_from([2**53, 2**53 + 1, -(2**63), 10**400, 1e308])
)
SCALARS = st.none() | st.booleans() | NUMBERS | TEXT
JSON_VALUES = st.recursive(
    SCALARS,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(TEXT, children, max_size=4),
    max_leaves=30,
)
TARGETS = [
    ("PUT", "/v1/customers/fuzzed", lambda value: {"attributes": value}),
    ("PUT", "/v1/customers/fuzzed", lambda value: value),
    ("PATCH", "/v1/customers/fuzzed/attributes", lambda value: value),
    ("POST", "/v1/attributes", lambda value: value),
]


def raw(value: Any) -> bytes:
    """JSON text with non-finite floats as bare tokens and surrogates as escapes."""
    return json.dumps(value, allow_nan=True, ensure_ascii=True).encode()


def nested(depth: int) -> bytes:
    """Objects and arrays `depth` levels deep, written out (no recursion to encode it)."""
    opening = "".join('{"k": ' if level % 2 else "[" for level in range(depth))
    closing = "".join("}" if level % 2 else "]" for level in reversed(range(depth)))
    return f'{opening}"leaf"{closing}'.encode()


def send(api: httpx.Client, method: str, path: str, body: bytes) -> httpx.Response:
    return api.request(method, path, content=body, headers={"content-type": "application/json"})


def assert_clean(answer: httpx.Response) -> None:
    assert answer.status_code < 500, answer.text
    if answer.status_code >= 400:
        assert_problem(answer, answer.status_code)


@pytest.mark.parametrize(("method", "path", "wrap"), TARGETS)
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(value=JSON_VALUES | st.dictionaries(TEXT, SCALARS, max_size=8))
def test_arbitrary_json_is_refused_cleanly_or_accepted(
    api: httpx.Client, method: str, path: str, wrap: Any, value: Any
) -> None:
    api.put("/v1/customers/fuzzed", json={})
    assert_clean(send(api, method, path, raw(wrap(value))))


@pytest.mark.parametrize(("method", "path"), [(method, path) for method, path, _ in TARGETS])
@pytest.mark.parametrize("depth", [31, 33, 200, 100_000])
def test_deep_nesting_is_refused_cleanly(
    api: httpx.Client, method: str, path: str, depth: int
) -> None:
    api.put("/v1/customers/fuzzed", json={})
    assert_clean(send(api, method, path, nested(depth)))


@pytest.mark.parametrize(("method", "path", "wrap"), TARGETS)
def test_ten_thousand_keys_are_refused_cleanly(
    api: httpx.Client, method: str, path: str, wrap: Any
) -> None:
    api.put("/v1/customers/fuzzed", json={})
    many = {f"key_{number}": number for number in range(10_000)}
    answer = send(api, method, path, raw(wrap(many)))
    assert 400 <= answer.status_code < 500, answer.text[:500]
    assert_problem(answer, answer.status_code)
