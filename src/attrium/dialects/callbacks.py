"""A vendor's callback URL: checked before the request acts, called after it answered.

The URL goes through the outbound guard (`core.outbound`): private, loopback and
link-local addresses are refused unless a setting allows them. The outcome is POSTed
in the background once the response is sent, with the guard's timeouts and retries.
"""

import logging
from typing import Any

from fastapi import BackgroundTasks

from attrium.core import outbound
from attrium.core.errors import OutboundFailed, OutboundRefused
from attrium.core.settings import Settings

logger = logging.getLogger("attrium.callbacks")


async def check(url: str | None, field: str, settings: Settings) -> None:
    """Refuse (OutboundRefused naming `field`) a callback URL that may not be called."""
    if url is not None:
        await outbound.resolve(url, outbound.OutboundPolicy.from_settings(settings), field=field)


def schedule(
    tasks: BackgroundTasks, url: str | None, outcome: dict[str, Any], settings: Settings
) -> None:
    """POST `outcome` to `url` after the response, if a URL was given."""
    if url is not None:
        tasks.add_task(_deliver, url, outcome, outbound.OutboundPolicy.from_settings(settings))


async def _deliver(url: str, outcome: dict[str, Any], policy: outbound.OutboundPolicy) -> None:
    try:
        await outbound.send("POST", url, policy, json=outcome)
    except (OutboundFailed, OutboundRefused) as error:
        logger.warning("callback to %s was not delivered: %s", url, error.detail)
