"""Every route, probed with another workspace's key, neither shows nor changes a thing.

The routes are read from the application itself, so a route added later is probed
too: its path parameters are filled with the owner's real identifiers (customer
refs of every kind, attribute name, key id) and its identifier-like query
parameters with the owner's identifiers.
"""

import itertools
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx

from attrium.app import create_app
from tests.support.workspaces import TestWorkspace, new_workspace

CREATING = {"PUT", "POST"}
KNOWN_PATH_PARAMETERS = {"customer_id", "name", "key_id"}
IDENTIFIER_QUERY_PARAMETERS = {"email", "phone", "anonymous_id", "identifier", "id", "customer_id"}


@dataclass
class Owner:
    workspace: TestWorkspace
    external_id: str
    profile_id: str
    email: str
    phone: str
    attribute: str
    secret: str
    key_id: str

    def path_values(self, parameter: str) -> list[str]:
        refs = [
            self.external_id,
            f"profile:{self.profile_id}",
            f"email:{self.email}",
            f"phone:{self.phone}",
            f"custom:crm:{self.secret}",
        ]
        known = {"customer_id": refs, "name": [self.attribute], "key_id": [self.key_id]}
        return known.get(parameter, [*refs, self.attribute, self.key_id])

    def query_values(self) -> dict[str, str]:
        return {
            "email": self.email,
            "phone": self.phone,
            "anonymous_id": f"anon-{self.secret}",
            "identifier": f"crm:{self.secret}",
            "id": self.external_id,
            "customer_id": self.external_id,
        }

    def markers(self) -> set[str]:
        """Strings only the owner's data holds."""
        workspace = self.workspace.workspace
        return {
            self.secret,
            self.profile_id,
            self.email,
            self.key_id,
            workspace.workspace_id,
            workspace.name,
        }

    def snapshot(self) -> dict[str, Any]:
        with self.workspace.client() as client:
            paths = [
                f"/v1/customers/{self.external_id}",
                f"/v1/customers/{self.external_id}/activity",
                f"/v1/attributes/{self.attribute}",
                "/v1/attributes",
                "/v1/keys",
                "/v1/workspace",
                "/v1/customers",
            ]
            return {path: client.get(path).json() for path in paths}


def make_owner(workspace: TestWorkspace) -> Owner:
    secret = secrets.token_hex(8)
    external_id = f"victim-{secret}"
    email = f"victim-{secret}@example.com"
    phone = f"+1914{secrets.randbelow(10**7):07d}"
    attribute = f"secret_attr_{secret}"
    body = {
        "email": email,
        "phone": phone,
        "anonymous_id": f"anon-{secret}",
        "custom_identifiers": {"crm": secret},
        "attributes": {attribute: f"value-{secret}"},
    }
    with workspace.client() as client:
        created = client.put(f"/v1/customers/{external_id}", json=body)
        assert created.status_code == 201, created.text
        key = client.post("/v1/keys", json={"scopes": ["attributes:read"]})
        assert key.status_code == 201, key.text
    return Owner(
        workspace=workspace,
        external_id=external_id,
        profile_id=created.json()["profile_id"],
        email=email,
        phone=phone,
        attribute=attribute,
        secret=secret,
        key_id=key.json()["id"],
    )


def probes(owner: Owner) -> Iterator[tuple[str, str, dict[str, str], bool]]:
    """(method, path, query) for every documented route, filled with the owner's values."""
    for template, operations in create_app().openapi()["paths"].items():
        for method, operation in operations.items():
            parameters = operation.get("parameters", [])
            in_path = [item["name"] for item in parameters if item["in"] == "path"]
            required = {
                item["name"]: plausible(item.get("schema", {}))
                for item in parameters
                if item["in"] == "query" and item.get("required")
            }
            queries = {
                item["name"]: owner.query_values()[item["name"]]
                for item in parameters
                if item["in"] == "query" and item["name"] in IDENTIFIER_QUERY_PARAMETERS
            }
            choices = [owner.path_values(parameter) for parameter in in_path]
            for values in itertools.product(*choices):
                path = template
                for parameter, value in zip(in_path, values, strict=True):
                    path = path.replace("{" + parameter + "}", value)
                # Parameters this probe has no owner object for get ids of other kinds,
                # which a route may refuse as malformed (4xx) instead of 404.
                names_an_object = bool(in_path) and set(in_path) <= KNOWN_PATH_PARAMETERS
                yield method.upper(), path, required, names_an_object
                for name, value in queries.items():
                    yield method.upper(), path, {**required, name: value}, names_an_object


def plausible(schema: dict[str, Any]) -> str:
    """A valid value for a required query parameter, so the probe reaches the lookup."""
    options = [schema, *schema.get("anyOf", [])]
    if any(option.get("format") == "date-time" for option in options):
        return "2020-01-01T00:00:00Z"
    if any(option.get("type") in ("integer", "number") for option in options):
        return "1"
    if any(option.get("type") == "boolean" for option in options):
        return "false"
    enum = next((option["enum"] for option in options if option.get("enum")), None)
    return str(enum[0]) if enum else "probe"


def test_another_workspaces_key_sees_and_changes_nothing(workspace: TestWorkspace) -> None:
    owner = make_owner(workspace)
    intruder = new_workspace(workspace.backend)
    before = owner.snapshot()
    probed = 0
    with intruder.client() as client:
        # Reads and changes first: the intruder's own upserts may then create lookalikes.
        ordered = sorted(probes(owner), key=lambda probe: probe[0] in CREATING)
        for method, path, query, names_an_object in ordered:
            answer = client.request(method, path, params=query, json={})
            probed += 1
            check_answer(owner, method, path, query, names_an_object, answer)
    assert probed > 20
    assert owner.snapshot() == before, "another workspace's key changed the owner's data"


def check_answer(
    owner: Owner,
    method: str,
    path: str,
    query: dict[str, str],
    names_an_object: bool,
    answer: httpx.Response,
) -> None:
    where = f"{method} {path} {query}: {answer.status_code} {answer.text[:300]}"
    assert answer.status_code < 500, where
    sent = path + str(query)
    leaked = {marker for marker in owner.markers() if marker in answer.text and marker not in sent}
    assert not leaked, f"{where} leaks {leaked}"
    if not path.startswith("/v1/"):
        return
    if names_an_object and method not in CREATING:
        # An empty page is what a name unknown in any workspace gets too: no leak.
        empty_page = method == "GET" and answer.status_code == 200 and empty_items(answer)
        assert answer.status_code == 404 or empty_page, where
    if set(query) & IDENTIFIER_QUERY_PARAMETERS and method == "GET":
        assert answer.status_code == 404 or answer.json().get("items") == [], where


def empty_items(answer: httpx.Response) -> bool:
    try:
        body = answer.json()
    except ValueError:
        return False
    return isinstance(body, dict) and body.get("items") == []
