"""Attribute names with quotes, backslashes, dots, brackets and unicode are found
everywhere a plain name is: the catalog's count, segments, deletion and its purge
(both backends).

SQLite's JSON paths match a key's text as stored, escapes included: a name JSON
escapes was once invisible there (core/sql.py `sqlite_json_path`).
"""

from urllib.parse import quote

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.support.workspaces import TestWorkspace, new_workspace

AWKWARD = st.text(
    alphabet=st.sampled_from(['"', "\\", ".", "[", "]", "$", "'", " ", "é", "ü", "😀", "a", "0"]),
    min_size=1,
    max_size=8,
).filter(lambda name: name.strip(".") != "")  # "." and ".." are dot segments in a URL path


@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
@given(name=AWKWARD)
@example(name="a\\b")
@example(name='say "hi"')
@example(name="a.b[0]")
@example(name="\\u00e9")
def test_an_awkward_name_is_counted_segmented_and_deleted(
    workspace: TestWorkspace, name: str
) -> None:
    fresh = new_workspace(workspace.backend)
    path = f"/v1/attributes/{quote(name, safe='')}"
    with fresh.client() as api:
        api.put("/v1/customers/c1", json={"attributes": {name: "v"}}).raise_for_status()
        api.put("/v1/customers/c2", json={"attributes": {"other": 1}}).raise_for_status()
        assert api.get(path).json()["customer_count"] == 1
        predicate = {"attribute": name, "op": "exists"}
        preview = api.post("/v1/segments/preview", json={"predicate": predicate}).json()
        assert preview["count"] == 1
        equal = {"attribute": name, "op": "eq", "value": "v"}
        assert api.post("/v1/segments/preview", json={"predicate": equal}).json()["count"] == 1
        assert api.delete(path).status_code == 409  # values remain: they must be purged
        assert api.delete(f"{path}?purge=true").status_code == 204
        assert api.get("/v1/customers/c1").json()["attributes"] == {}
