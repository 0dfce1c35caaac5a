"""Bad input gets a 4xx problem naming the field, never a 500."""

import httpx

from tests.support.problems import assert_problem


def test_malformed_json_is_400(api: httpx.Client) -> None:
    answer = api.put(
        "/v1/customers/c1", content=b'{"attributes": ', headers={"content-type": "application/json"}
    )
    assert_problem(answer, 400, "body")


def test_a_body_that_is_not_an_object_is_422(api: httpx.Client) -> None:
    api.put("/v1/customers/c1", json={})
    assert_problem(api.patch("/v1/customers/c1/attributes", json=[1, 2]), 422, "body")
    assert_problem(api.put("/v1/customers/c1", json="hello"), 422)


def test_unknown_fields_are_refused_by_name(api: httpx.Client) -> None:
    assert_problem(api.put("/v1/customers/c1", json={"emial": "a@b.co"}), 422, "emial")


def test_wrong_field_types_are_refused_by_name(api: httpx.Client) -> None:
    assert_problem(api.put("/v1/customers/c1", json={"email": 5}), 422, "email")
    assert_problem(api.put("/v1/customers/c1", json={"update_only": "yes"}), 422, "update_only")


def test_body_over_one_mebibyte_is_413(api: httpx.Client) -> None:
    huge = b'{"attributes": {"a": "' + b"x" * (1024 * 1024) + b'"}}'
    answer = api.put("/v1/customers/c1", content=huge, headers={"content-type": "application/json"})
    assert answer.status_code == 413
    assert answer.headers["content-type"].startswith("application/problem+json")


def test_streamed_body_over_the_limit_is_413(api: httpx.Client) -> None:
    def chunks():  # type: ignore[no-untyped-def]
        yield b'{"attributes": {"a": "'
        for _ in range(80):
            yield b"x" * 16384
        yield b'"}}'

    answer = api.put(
        "/v1/customers/c1", content=chunks(), headers={"content-type": "application/json"}
    )
    assert_problem(answer, 413)


def test_deep_nesting_is_400(api: httpx.Client) -> None:
    deep = '{"attributes": {"a": ' + "[" * 40 + "]" * 40 + "}}"
    answer = api.put("/v1/customers/c1", content=deep, headers={"content-type": "application/json"})
    assert_problem(answer, 400, "body")


def test_non_json_content_type_is_415(api: httpx.Client) -> None:
    answer = api.put("/v1/customers/c1", content=b"email=a", headers={"content-type": "text/plain"})
    assert_problem(answer, 415)


def test_nan_and_huge_numbers_are_clean_errors(api: httpx.Client) -> None:
    api.put("/v1/customers/c1", json={})
    for raw in (b'{"a": NaN}', b'{"a": Infinity}', b'{"a": 1e400}'):
        answer = api.patch(
            "/v1/customers/c1/attributes", content=raw, headers={"content-type": "application/json"}
        )
        assert_problem(answer, 400)
    answer = api.patch("/v1/customers/c1/attributes", json={"big": 2**60})
    assert_problem(answer, 422, "attributes.big")


def test_nul_and_lone_surrogates_are_clean_errors(api: httpx.Client) -> None:
    api.put("/v1/customers/c1", json={})
    for raw in (b'{"a": "x\\u0000y"}', b'{"a": "\\ud800"}', b'{"\\ud800": "x"}'):
        answer = api.patch(
            "/v1/customers/c1/attributes", content=raw, headers={"content-type": "application/json"}
        )
        assert answer.status_code in (400, 422), answer.text
        assert_problem(answer, answer.status_code)


def test_unknown_route_is_a_404_problem(api: httpx.Client) -> None:
    assert_problem(api.get("/v1/nothing-here"), 404)


def test_wrong_method_is_a_405_problem(api: httpx.Client) -> None:
    assert_problem(api.post("/v1/customers/c1", json={}), 405)


def test_openapi_and_docs_are_served(api: httpx.Client) -> None:
    spec = api.get("/openapi.json").json()
    assert "/v1/customers/{customer_id}" in spec["paths"]
    assert api.get("/docs").status_code == 200
