"""SIGKILL mid-load: every acknowledged write survives, no request is half-applied.

Writers create customers (identifier + three attributes + activity in one request)
and patch three attributes of a shared customer with one value each time. The
server is killed with SIGKILL while they run, then restarted on the same database.
"""

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.backends import BACKEND_NAMES
from tests.support.processes import Deployment, deployment

WRITERS = 8
ACKS_BEFORE_KILL = 150  # kill then, or after LOAD_SECONDS on a slow machine
LOAD_SECONDS = 10
MINIMUM_ACKS = 10
STARVED_SECONDS = 60


@dataclass
class WriterLog:
    """What one writer sent, and what the server acknowledged with a 2xx."""

    number: int
    acked_creates: list[int] = field(default_factory=list)
    acked_patches: list[int] = field(default_factory=list)
    in_doubt: list[str] = field(default_factory=list)


@pytest.fixture(params=BACKEND_NAMES)
def crashable(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Deployment]:
    target = deployment(request.param, tmp_path)
    yield target
    target.close()


def write_until_killed(base_url: str, token: str, log: WriterLog, stop: threading.Event) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=base_url, headers=headers, timeout=10) as client:
        sequence = 0
        while not stop.is_set():
            sequence += 1
            tag = f"w{log.number}-{sequence}"
            try:
                if sequence % 2:
                    body = {"email": f"{tag}@example.com", "attributes": triple(tag)}
                    response = client.put(f"/v1/customers/{tag}", json=body)
                    if response.is_success:
                        log.acked_creates.append(sequence)
                else:
                    path = f"/v1/customers/shared-{log.number}/attributes"
                    response = client.patch(path, json=triple(tag))
                    if response.is_success:
                        log.acked_patches.append(sequence)
            except httpx.TransportError:
                log.in_doubt.append(tag)
                return


def triple(tag: str) -> dict[str, str]:
    return {"first": tag, "second": tag, "third": tag}


def test_acknowledged_writes_survive_sigkill(crashable: Deployment) -> None:
    token = crashable.provision()
    server = crashable.start()
    headers = {"Authorization": f"Bearer {token}"}
    for number in range(WRITERS):
        created = httpx.put(
            f"{server.base_url}/v1/customers/shared-{number}",
            json={"attributes": triple("start")},
            headers=headers,
        )
        assert created.status_code == 201, created.text

    logs = [WriterLog(number) for number in range(WRITERS)]
    stop = threading.Event()
    threads = [
        threading.Thread(target=write_until_killed, args=(server.base_url, token, log, stop))
        for log in logs
    ]
    for thread in threads:
        thread.start()
    wait_for_kill_point(logs)
    server.kill()
    stop.set()
    for thread in threads:
        thread.join(timeout=30)

    restarted = crashable.start()
    with httpx.Client(base_url=restarted.base_url, headers=headers, timeout=30) as client:
        present = all_customers(client)
        check_creates(client, logs, present)
        check_patches(logs, present)


def wait_for_kill_point(logs: list[WriterLog]) -> None:
    started = time.monotonic()
    while True:
        acked = sum(len(log.acked_creates) for log in logs)
        elapsed = time.monotonic() - started
        if acked >= ACKS_BEFORE_KILL or (acked >= MINIMUM_ACKS and elapsed > LOAD_SECONDS):
            return
        assert elapsed < STARVED_SECONDS, f"only {acked} writes acknowledged in {elapsed:.0f} s"
        time.sleep(0.01)


def all_customers(client: httpx.Client) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    cursor = None
    while True:
        params = {"limit": 1000} | ({"cursor": cursor} if cursor else {})
        page = client.get("/v1/customers", params=params).json()
        found.update({customer["id"]: customer for customer in page["items"]})
        cursor = page["next_cursor"]
        if cursor is None:
            return found


def check_creates(
    client: httpx.Client, logs: list[WriterLog], present: dict[str, dict[str, Any]]
) -> None:
    acked = {f"w{log.number}-{sequence}" for log in logs for sequence in log.acked_creates}
    in_doubt = {tag for log in logs for tag in log.in_doubt}
    created = {ref for ref in present if not ref.startswith("shared-")}
    assert acked <= created, f"lost acknowledged creates: {sorted(acked - created)[:10]}"
    unacknowledged = created - acked
    assert unacknowledged <= in_doubt, f"writes nobody sent: {sorted(unacknowledged - in_doubt)}"
    print(f"acknowledged {len(acked)}, present {len(created)}, in doubt at kill {len(in_doubt)}")
    for ref in created:
        customer = present[ref]
        assert customer["email"] == f"{ref}@example.com", customer
        assert customer["attributes"] == triple(ref), customer
    for ref in sorted(unacknowledged) + sorted(acked)[:5]:
        history = client.get(f"/v1/customers/{ref}/activity").json()["items"]
        assert "customer_created" in {entry["type"] for entry in history}, history


def check_patches(logs: list[WriterLog], present: dict[str, dict[str, Any]]) -> None:
    for log in logs:
        attributes = present[f"shared-{log.number}"]["attributes"]
        values = set(attributes.values())
        assert len(values) == 1, f"half-applied patch: {attributes}"
        if not log.acked_patches:
            continue
        (value,) = values
        survived = int(value.rsplit("-", 1)[1])
        assert survived >= log.acked_patches[-1], (attributes, log.acked_patches[-1])
