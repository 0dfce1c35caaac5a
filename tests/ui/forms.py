"""Reading and sending UI forms over plain HTTP, as a browser without JavaScript does."""

import re

import httpx

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    found = _CSRF.search(html)
    assert found, "the page holds no CSRF token"
    return found.group(1)


def sign_in(client: httpx.Client, token: str) -> httpx.Response:
    """Sign in through the form; returns the answer to the form's POST."""
    form_page = client.get("/ui/sign-in")
    return client.post(
        "/ui/sign-in", data={"api_key": token, "csrf_token": csrf_of(form_page.text)}
    )


def page_csrf(client: httpx.Client, path: str = "/ui/catalog") -> str:
    return csrf_of(client.get(path).text)
