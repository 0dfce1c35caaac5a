"""Object and array attributes in templates, on both backends."""

import json

import httpx
import pytest

from tests.segments.support import put
from tests.support.problems import assert_problem

ADDRESS = {"city": "Lisbon", "zip": "1000-001", "geo": {"lat": 38.7}}


@pytest.fixture
def ada(api: httpx.Client) -> httpx.Client:
    put(
        api,
        "ada",
        email="ada@example.com",
        attributes={"address": ADDRESS, "tags": ["vip", "beta"], "email": "shadow@x.co"},
    )
    return api


def rendered(api: httpx.Client, template: str) -> str:
    answer = api.post("/v1/templates/render", json={"template": template, "customer": "ada"})
    assert answer.status_code == 200, answer.text
    text: str = answer.json()["rendered"]
    return text


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("{{ customer.address.city }}", "Lisbon"),
        ("{{ customer.attributes.address.city }}", "Lisbon"),
        ("{{ customer.address.geo.lat }}", "38.7"),
        ("[{{ customer.address.street }}]", "[]"),
        ("{{ customer.address.street | default: 'no street' }}", "no street"),
        ("{{ customer.tags | join: ', ' }}", "vip, beta"),
        ("{{ customer.tags.first }} {{ customer.tags.size }}", "vip 2"),
        ("{% for tag in customer.tags %}<{{ tag }}>{% endfor %}", "<vip><beta>"),
        ("{% if customer.tags contains 'vip' %}VIP{% endif %}", "VIP"),
        ("{{ customer.tags | json }}", '["vip","beta"]'),
        ("{{ customer.nothing | json }}", ""),
        # the customer's own fields win over attributes of the same name
        ("{{ customer.email }} {{ customer.attributes.email }}", "ada@example.com shadow@x.co"),
    ],
)
def test_nested_values_in_templates(ada: httpx.Client, template: str, expected: str) -> None:
    assert rendered(ada, template) == expected


def test_an_object_renders_as_json(ada: httpx.Client) -> None:
    assert json.loads(rendered(ada, "{{ customer.address }}")) == ADDRESS
    assert json.loads(rendered(ada, "{{ customer.address | json }}")) == ADDRESS
    assert json.loads(rendered(ada, "{{ customer.address.geo }}")) == {"lat": 38.7}


def test_the_json_filter_is_a_filter_like_the_others(ada: httpx.Client) -> None:
    template = "{% assign s = 'x' | append: 'x' %}{{ customer.tags | json | append: s }}"
    assert rendered(ada, template) == '["vip","beta"]xx'
    for bad in ("{{ 1 | json: 2, 3 }}", "{{ x | jsn }}"):
        answer = ada.post("/v1/templates/render", json={"template": bad, "customer": "ada"})
        assert_problem(answer, 422, "template")
