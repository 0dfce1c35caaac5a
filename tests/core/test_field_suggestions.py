"""An unknown body field is answered with the closest known name, if one is close."""

import httpx

from tests.support.problems import assert_problem


def _message(problem: dict[str, object], field: str) -> str:
    errors = problem["errors"]
    assert isinstance(errors, list)
    return next(str(error["message"]) for error in errors if error["field"] == field)


def test_a_misspelt_field_gets_a_suggestion(api: httpx.Client) -> None:
    answer = api.put("/v1/customers/x", json={"emial": "a@b.co"})
    problem = assert_problem(answer, 422, "emial")
    assert problem["errors"][0]["rule"] == "extra_forbidden"
    assert _message(problem, "emial").endswith('(did you mean "email"?)')
    assert 'did you mean "email"?' in problem["detail"]


def test_a_field_like_no_other_gets_none(api: httpx.Client) -> None:
    problem = assert_problem(api.put("/v1/customers/x", json={"zzz": 1}), 422, "zzz")
    assert "did you mean" not in _message(problem, "zzz")


def test_a_routed_body_gets_a_suggestion(api: httpx.Client) -> None:
    answer = api.post("/v1/attributes", json={"name": "score", "typ": "number"})
    problem = assert_problem(answer, 422, "typ")
    assert _message(problem, "typ").endswith('(did you mean "type"?)')


def test_a_batch_item_gets_a_suggestion(api: httpx.Client) -> None:
    answer = api.post("/v1/customers/batch", json={"customers": [{"id": "c1", "atributes": {}}]})
    assert 'did you mean \\"attributes\\"?' in answer.text, answer.text
