"""The options every remote command takes, and the client they open."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer

from attrium.cli.output import people
from attrium.client import ApiError, AttriumClientError, Client

DEFAULT_URL = "http://127.0.0.1:8000"

Url = Annotated[
    str, typer.Option("--url", envvar="ATTRIUM_URL", help="server URL", show_default=True)
]
Key = Annotated[
    str, typer.Option("--key", envvar="ATTRIUM_KEY", help="API key", show_default=False)
]
AsJson = Annotated[bool, typer.Option("--json", help="print JSON for scripts")]


@contextmanager
def connected(url: str, key: str) -> Iterator[Client]:
    """A client; a problem from the server ends the command with its detail and exit 1."""
    try:
        with Client(url, key) as client:
            yield client
    except ApiError as error:
        fields = f" ({', '.join(error.fields)})" if error.errors else ""
        people.print(f"[red]error {error.status}:[/red] {error.detail}{fields}")
        raise typer.Exit(1) from None
    except AttriumClientError as error:
        people.print(f"[red]error:[/red] {error}")
        raise typer.Exit(1) from None
