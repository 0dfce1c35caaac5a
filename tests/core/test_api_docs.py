"""`/docs` works without internet: every file it loads comes from this server."""

import re

import httpx


def test_the_docs_page_loads_only_local_files(api: httpx.Client) -> None:
    page = api.get("/docs")
    assert page.status_code == 200
    sources = re.findall(r"""(?:src|href)=['"]([^'"]+)['"]""", page.text)
    assert sources
    for source in sources:
        assert source.startswith("/"), f"{source} is not served by this server"
        assert api.get(source).status_code == 200, source
    script = api.get("/docs/assets/swagger-ui-bundle.js")
    assert script.headers["content-type"].startswith(("text/javascript", "application/javascript"))


def test_the_root_leads_to_the_ui(api: httpx.Client) -> None:
    answer = api.get("/", follow_redirects=False)
    assert answer.status_code == 307
    assert answer.headers["location"] == "/ui"
