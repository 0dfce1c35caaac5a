"""`python -m bench.http_layer`: server CPU per request of the HTTP layer alone.

Serves Attrium as `attrium serve` does (uvicorn, uvloop, Attrium's protocol and
middleware) with the service call and the database taken out: any bearer key is one
fixed actor and `PATCH .../attributes` answers at once what it was sent. wrk runs
at 32 connections, and the server's CPU per request (utime and stime from /proc) is
what the HTTP layer costs: uvicorn, routing, authentication's HTTP side, body
reading and validation, the answer, the access log and the metrics. A bare ASGI app
under the same uvicorn options gives the floor.

    python -m bench.http_layer [--seconds 10] [--only healthz,patch,identify,floor]
"""

import argparse
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from bench.server import free_port

HERE = Path(__file__).parent

# Run in the server process: Attrium with the service call stubbed out.
STUBBED_SERVER = """
import datetime, sys
import uvicorn
from attrium.auth import service as keys
from attrium.auth.actor import Actor
from attrium.core.serving import uvicorn_options
from attrium.core.settings import get_settings
from attrium.customers import api as customers_api
from attrium.customers import service as customers_service
from attrium.customers.models import Customer
from attrium.workspaces.service import Workspace

NOW = datetime.datetime.now(datetime.UTC)
ACTOR = Actor(Workspace("ws", "bench", "k"), "key", frozenset({"attributes:write"}))


class Outcome:
    def __init__(self, attributes):
        self.customer = Customer("0" * 26, "c1", None, None, None, {}, attributes, NOW, NOW)
        self.created, self.conflicts = False, []


async def upsert(db, actor, ref, write, *options):
    return Outcome(write.attributes)


class Coalescer:
    async def upsert(self, actor, ref, write, options):
        return Outcome(write.attributes)


async def authenticate(db, token):
    return ACTOR


keys.authenticate = authenticate
customers_service.upsert = upsert  # the write's seam...
if hasattr(customers_api, "coalescer_of"):  # ...or, on builds that have one, the coalescer's
    customers_api.coalescer_of = lambda db: Coalescer()
uvicorn.run("attrium.app:create_default_app", factory=True, host="127.0.0.1",
            port=int(sys.argv[1]), loop="uvloop", log_level="info",
            **uvicorn_options(get_settings()))
"""

# The floor: an ASGI app that answers a fixed JSON body, under the same options.
BARE_SERVER = """
import sys
import uvicorn
from attrium.core.serving import uvicorn_options
from attrium.core.settings import get_settings

HEAD = [(b"content-type", b"application/json"), (b"content-length", b"15")]


async def app(scope, receive, send):
    if scope["type"] == "lifespan":
        while (await receive())["type"] != "lifespan.shutdown":
            await send({"type": "lifespan.startup.complete"})
        await send({"type": "lifespan.shutdown.complete"})
        return
    await send({"type": "http.response.start", "status": 200, "headers": HEAD})
    await send({"type": "http.response.body", "body": b'{"status":"ok"}'})


uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), loop="uvloop",
            log_level="warning", **uvicorn_options(get_settings()))
"""


# Customer.io's identify, with Basic site_id:api_key (the stubbed key's workspace is `ws`).
IDENTIFY_SCRIPT = """
wrk.method = "PUT"
wrk.headers["Authorization"] = "Basic d3M6YW55LWtleQ=="
wrk.headers["Content-Type"] = "application/json"
local people = "/compat/customerio/api/v1/customers/c"
function request()
  local body = string.format('{"score": %d, "plan": "pro"}', math.random(0, 1000000))
  return wrk.format(nil, people .. math.random(1, 100000), nil, body)
end
"""


def measure(server_code: str, path: str, script: Path | None, seconds: int) -> dict[str, float]:
    port = free_port()
    folder = Path(tempfile.mkdtemp(prefix="attrium-http-layer-"))
    env = {
        **os.environ,
        "ATTRIUM_DATABASE_URL": f"sqlite:///{folder / 'unused.db'}",
        "ATTRIUM_IMPORT_RUNNER": "false",
        "ATTRIUM_RATE_LIMIT_PER_SECOND": "0",
        "BENCH_TOKEN": "any-key",
        "BENCH_CUSTOMERS": "100000",
    }
    with (folder / "server.log").open("wb") as log:
        server = subprocess.Popen(
            [sys.executable, "-c", server_code, str(port)], env=env, stdout=log, stderr=log
        )
        try:
            _wait_ready(port)
            command = ["wrk", "--threads", "1", "--connections", "32"]
            command += ["--script", str(script)] if script else []
            target = f"http://127.0.0.1:{port}{path}"
            subprocess.run([*command, "--duration", "2s", target], env=env, capture_output=True)
            user, system = _cpu(server.pid)
            done = subprocess.run(
                [*command, "--duration", f"{seconds}s", target],
                env=env,
                capture_output=True,
                text=True,
                check=True,
            )
            user_after, system_after = _cpu(server.pid)
        finally:
            server.send_signal(signal.SIGINT)
            server.wait(timeout=30)
    requests = int(re.search(r"(\d+) requests in", done.stdout).group(1))  # type: ignore[union-attr]
    if "Non-2xx" in done.stdout:
        raise RuntimeError(f"answers other than 2xx:\n{done.stdout}")
    return {
        "requests_per_second": round(requests / seconds),
        "server_cpu_us_per_request": round(
            (user_after + system_after - user - system) / requests * 1e6, 1
        ),
        "user_us": round((user_after - user) / requests * 1e6, 1),
        "system_us": round((system_after - system) / requests * 1e6, 1),
        "load_average_1min": round(os.getloadavg()[0], 2),
    }


def _wait_ready(port: int) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise RuntimeError("the server did not start")


def _cpu(pid: int) -> tuple[float, float]:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return int(fields[11]) / ticks, int(fields[12]) / ticks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--only", default="healthz,patch,floor")
    options = parser.parse_args()
    identify = Path(tempfile.mkdtemp(prefix="attrium-http-layer-")) / "identify.lua"
    identify.write_text(IDENTIFY_SCRIPT)
    runs = {
        "healthz": (STUBBED_SERVER, "/healthz", None),
        "patch": (STUBBED_SERVER, "", HERE / "patch.lua"),
        "identify": (STUBBED_SERVER, "", identify),
        "floor": (BARE_SERVER, "/", None),
    }
    for name in options.only.split(","):
        code, path, script = runs[name]
        print(name, measure(code, path, script, options.seconds), flush=True)


if __name__ == "__main__":
    main()
