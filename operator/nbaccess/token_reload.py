"""Pick up a rotated NetBird API token from NETBIRD_API_TOKEN_FILE without a restart.

Kubernetes updates a mounted Secret by swapping a symlink, some time after the Secret
changed; watching for file events through that swap is fragile, so the file is re-read on a
short period instead (one small read, off the event loop). A file that became unreadable or
empty keeps the token in use and logs why: a half-finished rotation must not stop the
operator.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from pydantic import SecretStr

from nbaccess.config import ConfigError, Settings

log = logging.getLogger(__name__)


async def follow_token_file(
    settings: Settings,
    current: SecretStr,
    apply: Callable[[SecretStr], None],
    *,
    period: float | None = None,
) -> None:
    """Call `apply` with the file's token each time it differs from the one in use."""
    if settings.netbird_api_token_file is None:
        return
    period = period if period is not None else settings.nbaccess_token_reload_seconds
    in_use = current.get_secret_value()
    while True:
        await asyncio.sleep(period)
        try:
            token = await asyncio.to_thread(settings.api_token)
        except ConfigError as exc:
            # The message names the file and the reason, never the content.
            log.warning("keeping the current NetBird token: %s", exc)
            continue
        if token.get_secret_value() != in_use:
            apply(token)
            in_use = token.get_secret_value()
            log.info("NetBird API token reloaded from %s", settings.netbird_api_token_file)
