"""`attrium serve --dialect-port NAME=PORT`: a dialect served at the root of a port of its
own by the same process (one database, one set of caches), the main port unchanged."""

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.support.backends import BACKEND_NAMES
from tests.support.processes import Deployment, ServerProcess, deployment, free_port

ATTENTIVE_V1 = "/v1/attributes/custom"


@dataclass
class Served:
    server: ServerProcess
    token: str
    site_id: str
    ports: dict[str, int]

    def main(self) -> httpx.Client:
        return httpx.Client(base_url=self.server.base_url, timeout=30)

    def on(self, dialect: str) -> httpx.Client:
        return httpx.Client(base_url=f"http://127.0.0.1:{self.ports[dialect]}", timeout=30)

    @property
    def bearer(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@pytest.fixture(scope="module", params=BACKEND_NAMES)
def served(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Served]:
    target: Deployment = deployment(request.param, tmp_path_factory.mktemp("ports"))
    try:
        token = target.provision()
        ports = {name: free_port() for name in ("attentive", "customerio", "invisible-collector")}
        server = target.start(
            "--dialect-port",
            f"attentive={ports['attentive']}",
            "--dialect-port",
            f"customerio={ports['customerio']}",
            # the command line's ports replace the environment's
            ATTRIUM_DIALECT_PORTS="optimove=1",
        )
        with httpx.Client(
            base_url=server.base_url, headers={"Authorization": f"Bearer {token}"}
        ) as api:
            site_id = api.get("/v1/workspace").json()["id"]
        yield Served(server, token, site_id, ports)
    finally:
        target.close()


def test_a_dialect_port_serves_the_dialect_at_its_root(served: Served) -> None:
    body = {"properties": {"plan": "gold"}, "user": {"phone": "+14155550100"}}
    with served.on("attentive") as attentive, served.main() as main:
        answer = attentive.post(ATTENTIVE_V1, json=body, headers=served.bearer)
        assert answer.status_code == 200, answer.text
        found = main.get("/v1/customers/phone:+14155550100", headers=served.bearer)
        assert found.json()["attributes"] == {"plan": "gold"}
        prefixed = main.post(
            "/compat/attentive/v1/attributes/custom", json=body, headers=served.bearer
        )
        assert prefixed.status_code == 200, prefixed.text


def test_the_customerio_port_answers_the_track_api_paths(served: Served) -> None:
    auth = (served.site_id, served.token)
    with served.on("customerio") as track, served.main() as main:
        assert track.put("/api/v1/customers/5", json={"plan": "gold"}, auth=auth).json() == {}
        assert main.put("/api/v1/customers/5", json={"age": 3}, auth=auth).json() == {}
        found = main.get("/v1/customers/5", headers=served.bearer).json()
        assert found["attributes"] == {"plan": "gold", "age": 3}


@pytest.mark.parametrize(
    "path", ["/healthz", "/v1/customers/5", "/compat/attentive/v1/attributes/custom", "/ui/"]
)
def test_a_dialect_port_serves_nothing_else(served: Served, path: str) -> None:
    with served.on("attentive") as attentive:
        answer = attentive.get(path, headers=served.bearer)
    assert answer.status_code == 404
    assert answer.headers["content-type"] == "application/json"
    assert answer.json()["status"] == 404
    with served.on("customerio") as track:
        answer = track.get(path)
    assert answer.status_code == 404
    assert answer.headers["content-type"] == "application/json"
    assert set(answer.json()) == {"meta"}


def test_the_environment_names_dialect_ports(tmp_path: Path) -> None:
    target = deployment("sqlite", tmp_path)
    try:
        token = target.provision()
        port = free_port()
        server = target.start(ATTRIUM_DIALECT_PORTS=f"invisible-collector={port}")
        headers = {"Authorization": f"Bearer {token}"}
        body = {"name": "Ada", "vatNumber": "PT1"}
        answer = httpx.post(f"http://127.0.0.1:{port}/customers", json=body, headers=headers)
        assert answer.status_code == 201, answer.text
        assert httpx.get(f"{server.base_url}/healthz").status_code == 200
    finally:
        target.close()


BAD_PORTS = [
    (["--dialect-port", "mailchimp=8101"], {}, "unknown dialect 'mailchimp'"),
    (["--dialect-port", "attentive=70000"], {}, "not between 1 and 65535"),
    (["--dialect-port", "attentive"], {}, "not name=port"),
    (["--port", "8101", "--dialect-port", "attentive=8101"], {}, "the main port"),
    ([], {"ATTRIUM_DIALECT_PORTS": "attentive=8101,optimove=8101"}, "port 8101"),
    ([], {"ATTRIUM_DIALECT_PORTS": "attentive=x"}, "not name=port"),
]


@pytest.mark.parametrize(("args", "env", "says"), BAD_PORTS)
def test_bad_dialect_ports_stop_the_start_with_one_line(
    tmp_path: Path, args: list[str], env: dict[str, str], says: str
) -> None:
    clean = {key: value for key, value in os.environ.items() if not key.startswith("ATTRIUM_")}
    ran = subprocess.run(
        [sys.executable, "-m", "attrium", "serve", *args],
        env=clean | {"ATTRIUM_DATABASE_URL": f"sqlite:///{tmp_path / 'a.db'}"} | env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert ran.returncode != 0
    lines = ran.stderr.strip().splitlines()
    assert len(lines) == 1, ran.stderr
    assert says in lines[0]
    assert "Traceback" not in ran.stderr
    assert not (tmp_path / "a.db").exists()  # refused before anything started
