"""Personalisation: rendering with Liquid, sandboxed; saved templates and previews."""

from typing import Any

import httpx
import pytest

from tests.segments.support import declare, put, where
from tests.support.problems import assert_problem


@pytest.fixture
def ada(api: httpx.Client) -> httpx.Client:
    declare(api, "plan", "string", default="basic")
    put(
        api,
        "ada",
        email="ada@example.com",
        custom_identifiers={"shop": "s-1"},
        attributes={"first_name": "Ada", "signup": "2024-05-01T10:00:00Z", "age": 36, "vip": True},
    )
    put(api, "bob", attributes={"age": 17})
    return api


def render(api: httpx.Client, template: str, customer: str = "ada") -> httpx.Response:
    return api.post("/v1/templates/render", json={"template": template, "customer": customer})


CASES = [
    ("Hi {{ customer.attributes.first_name | default: 'there' }}", "ada", "Hi Ada"),
    ("Hi {{ customer.attributes.first_name | default: 'there' }}", "bob", "Hi there"),
    ("[{{ customer.attributes.nickname }}]", "ada", "[]"),
    ("{{ customer.attributes.plan }}", "ada", "basic"),
    ("{{ customer.attributes.signup | date: '%d %b %Y' }}", "ada", "01 May 2024"),
    ("{{ customer.email }} {{ customer.custom_identifiers.shop }}", "ada", "ada@example.com s-1"),
    ("{% if customer.attributes.vip %}VIP{% else %}-{% endif %}", "bob", "-"),
    ("{% if customer.attributes.age > 18 %}adult{% endif %}", "ada", "adult"),
    ("{{ customer.attributes.first_name | upcase }}", "email:ada@example.com", "ADA"),
]


def test_rendering(ada: httpx.Client) -> None:
    for template, customer, expected in CASES:
        answer = render(ada, template, customer)
        assert answer.status_code == 200, answer.text
        assert answer.json() == {"rendered": expected}, template


ERRORS: list[tuple[str, str, int, int]] = [
    ("Hi {{ customer | nope }}", "template.unknown_filter", 1, 18),
    ("line one\n  {% if %}", "template.syntax", 2, 6),
    ("{% include 'secrets' %}", "template.syntax", 1, 4),
    ("{% render '/etc/passwd' %}", "template.syntax", 1, 4),
    ("{% for i in (1..100000) %}x{% endfor %}", "template.limit", 1, 4),
    ("{{ 5 | divided_by: 0 }}", "template.filter_argument", 1, 8),
]


def test_template_errors_name_line_and_column(ada: httpx.Client) -> None:
    for template, rule, line, column in ERRORS:
        problem = assert_problem(render(ada, template), 422, "template")
        assert problem["errors"][0]["rule"] == rule, problem
        assert (problem["line"], problem["column"]) == (line, column), problem


# Liquid itself gives no position for these: the expression or the template ends early.
ENDED_EARLY: list[tuple[str, int, int]] = [
    ("Hi\n  {{ }}", 2, 3),
    ("{% for x in %}{% endfor %}", 1, 10),
    ("one\n{% if customer %}", 2, 7),
    ("{{ customer.attributes[ }}", 1, 23),
    ("{% if customer and %}{% endif %}", 1, 16),
]


def test_an_early_end_names_line_and_column_too(ada: httpx.Client) -> None:
    for template, line, column in ENDED_EARLY:
        problem = assert_problem(render(ada, template), 422, "template")
        assert problem["errors"][0]["rule"] == "template.syntax", problem
        assert (problem["line"], problem["column"]) == (line, column), (template, problem)
        position = f"(line {line}, column {column})"
        assert problem["detail"].endswith(position), problem
        assert problem["errors"][0]["message"].endswith(position), problem


def test_output_is_bounded(ada: httpx.Client) -> None:
    template = "{% for i in (1..9000) %}{{ customer.attributes.signup }}{% endfor %}"
    problem = assert_problem(render(ada, template), 422, "template")
    assert problem["errors"][0]["rule"] == "template.limit"


def test_unknown_customer_and_bad_reference(ada: httpx.Client) -> None:
    assert_problem(render(ada, "x", "nobody"), 404)
    assert_problem(render(ada, "x", "email:not-an-email"), 422, "customer")


def create(api: httpx.Client, **body: Any) -> dict[str, Any]:
    answer = api.post("/v1/templates", json=body)
    assert answer.status_code == 201, answer.text
    template: dict[str, Any] = answer.json()
    return template


def test_saved_templates_crud(ada: httpx.Client) -> None:
    made = create(ada, name="welcome", body="Hi {{ customer.attributes.first_name }}")
    assert made["id"].startswith("tpl_")
    assert ada.get(f"/v1/templates/{made['id']}").json() == made
    rendered = ada.post(f"/v1/templates/{made['id']}/render", json={"customer": "ada"})
    assert rendered.json() == {"rendered": "Hi Ada"}
    changed = ada.patch(f"/v1/templates/{made['id']}", json={"body": "Yo"}).json()
    assert changed["body"] == "Yo"
    assert [item["id"] for item in ada.get("/v1/templates").json()["items"]] == [made["id"]]
    assert_problem(ada.post("/v1/templates", json={"name": "welcome", "body": "x"}), 409, "name")
    broken = ada.patch(f"/v1/templates/{made['id']}", json={"body": "{% if %}"})
    assert assert_problem(broken, 422, "body")["line"] == 1
    assert_problem(ada.post("/v1/templates", json={"name": "b", "body": "{{ x | nope }}"}), 422)
    assert ada.delete(f"/v1/templates/{made['id']}").status_code == 204
    assert_problem(ada.get(f"/v1/templates/{made['id']}"), 404)


def test_preview_for_a_segment(ada: httpx.Client) -> None:
    segment = ada.post("/v1/segments", json={"name": "all", "predicate": where("age", "exists")})
    made = create(ada, name="t", body="{{ customer.attributes.first_name | default: 'you' }}")
    answer = ada.post(
        f"/v1/templates/{made['id']}/preview", json={"segment": segment.json()["id"], "limit": 5}
    )
    assert answer.status_code == 200, answer.text
    assert sorted((item["id"], item["rendered"]) for item in answer.json()["items"]) == [
        ("ada", "Ada"),
        ("bob", "you"),
    ]
    missing = ada.post(f"/v1/templates/{made['id']}/preview", json={"segment": "seg_x"})
    assert_problem(missing, 404)
