"""Issue 18: a template cannot stall the server; each bound it reaches is a 422 naming it."""

import asyncio
import io
import threading
import time

import httpx
import pytest

from attrium.templates import limits, rendering
from tests.segments.support import put, where
from tests.support.problems import assert_problem
from tests.templates.test_templates import create, render

# Squaring in a loop, then a chain of products: 94.8 s of work before this fix.
SQUARING = (
    "{% assign x = 10 %}{% for i in (1..17) %}{% assign x = x | times: x %}{% endfor %}"
    "{% assign y = x" + " | times: x" * 60 + " %}{{ y | size }}"
)
# A number past Python's 4,300-digit conversion limit was a 500 when written out.
PAST_INT_TO_STR = (
    "{% assign x = 1 %}{% for i in (1..500) %}"
    "{% assign x = x | times: 1000000000000 %}{% endfor %}{{ x }}"
)
# Each step multiplies the text's length: refused before the step runs.
REPLACING = (
    "{{ 'aaaaaaaaaaaaaaaaaaaa' | replace: 'a', '" + "b" * 1000 + "' | replace: 'b', 'cccccccccc' }}"
)
LONG_LOOPS = [
    "{% for i in (1..1000000000) reversed %}{% break %}{% endfor %}",
    "{% for i in (1..1000000000) offset: 999999990 %}{{ i }}{% endfor %}",
    "{% tablerow i in (1..1000000000) offset: 999999990 %}{{ i }}{% endtablerow %}",
    "{{ (1..1000000000) | join: ',' }}",
]


def assert_limit(answer: httpx.Response, field: str, limit: str, named: str) -> None:
    problem = assert_problem(answer, 422, field)
    assert problem["errors"][0]["rule"] == "template.limit", problem
    assert problem["limit"] == limit, problem
    assert named in problem["errors"][0]["message"], problem


@pytest.fixture
def ada(api: httpx.Client) -> httpx.Client:
    put(api, "ada", attributes={"n": 5})
    return api


def test_huge_numbers_are_refused_naming_the_limit(ada: httpx.Client) -> None:
    digits = f"{limits.MAX_NUMBER_DIGITS} digits"
    for template in (SQUARING, PAST_INT_TO_STR):
        assert_limit(render(ada, template), "template", "max_number_digits", digits)
    too_big_float = "{% assign f = 10.5 %}{% for i in (1..10) %}{% assign f = f | times: f %}"
    assert_limit(
        render(ada, too_big_float + "{% endfor %}"), "template", "max_number_digits", digits
    )


def test_text_that_would_outgrow_the_limit_is_refused(ada: httpx.Client) -> None:
    chars = f"{limits.MAX_TEXT_CHARS} characters"
    assert_limit(render(ada, REPLACING), "template", "max_text_chars", chars)


def test_loops_over_huge_arrays_are_refused_before_slicing(ada: httpx.Client) -> None:
    for template in LONG_LOOPS:
        assert_limit(render(ada, template), "template", "max_items", f"{limits.MAX_ITEMS} items")


def test_a_render_past_its_deadline_stops_at_the_next_step() -> None:
    async def render_late(source: str) -> str:
        template = await rendering.parse(source)
        context = limits.BoundedContext(template, globals={}, deadline=time.monotonic() - 1)
        buffer = io.StringIO()
        template.render_with_context(context, buffer)
        return buffer.getvalue()

    for step in ("{% for i in (1..2) %}{% endfor %}", "{{ 'a' | upcase }}"):
        with pytest.raises(limits.SandboxLimitError) as stopped:
            asyncio.run(render_late("before " + step))
        assert stopped.value.limit == "render_seconds"
    assert asyncio.run(render_late("no step, no check")) == "no step, no check"


def test_templates_within_the_limits_still_render(ada: httpx.Client) -> None:
    template = (
        "{{ customer.attributes.n | times: 3 | plus: 0.5 }} {{ (1..5) | join: '-' }} "
        "{{ 'abc' | replace: 'b', 'xx' }} {{ 99999999999999999999 | times: 10 }}"
    )
    answer = render(ada, template)
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"rendered": "15.5 1-2-3-4-5 axxc 999999999999999999990"}


def test_saved_templates_and_previews_are_bounded_alike(ada: httpx.Client) -> None:
    made = create(ada, name="squares", body=PAST_INT_TO_STR)
    saved = ada.post(f"/v1/templates/{made['id']}/render", json={"customer": "ada"})
    assert_limit(saved, "body", "max_number_digits", "digits")
    segment = ada.post("/v1/segments", json={"name": "all", "predicate": where("n", "exists")})
    preview = ada.post(
        f"/v1/templates/{made['id']}/preview", json={"segment": segment.json()["id"]}
    )
    assert_limit(preview, "body", "max_number_digits", "digits")


class ThreadName:
    """Renders as the name of the thread that renders it."""

    def __str__(self) -> str:
        return threading.current_thread().name


def test_rendering_runs_off_the_event_loop() -> None:
    async def render_probe() -> tuple[str, str]:
        template = await rendering.parse("{{ probe }}")
        rendered = await rendering.render(template, {"probe": ThreadName()})
        return rendered, threading.current_thread().name

    rendered, loop_thread = asyncio.run(render_probe())
    assert rendered != loop_thread
    assert rendered.startswith("liquid")
