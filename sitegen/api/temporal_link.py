"""The API's one Temporal client: connected when first needed, and again after an outage, so
an API that started while Temporal was down does not stay cut off from it."""

from __future__ import annotations

import asyncio

import structlog
from temporalio.client import Client

from sitegen.api.errors import Unavailable
from sitegen.settings import Settings
from sitegen.temporal_client import connect, connect_options

log = structlog.get_logger()

CONNECT_TIMEOUT_SECONDS = 5


class TemporalLink:
    def __init__(self, settings: Settings) -> None:
        # Settings that cannot work (a missing certificate, a cert without its key) stop the
        # API as it starts; Temporal merely down is a 503 until it is back.
        connect_options(settings)
        self.settings = settings
        self._client: Client | None = None
        self._lock = asyncio.Lock()

    @property
    def connected(self) -> bool:
        return self._client is not None

    async def client(self) -> Client:
        """The client, connecting first if need be; a 503 that says so when it cannot."""
        if self._client is not None:
            return self._client
        async with self._lock:  # one connection attempt at a time, not one per request
            if self._client is None:
                try:
                    self._client = await asyncio.wait_for(
                        connect(self.settings), timeout=CONNECT_TIMEOUT_SECONDS
                    )
                except (RuntimeError, OSError, TimeoutError) as exc:
                    log.warning("api.temporal_unreachable", error=type(exc).__name__)
                    raise Unavailable("Temporal is not reachable; try again shortly") from None
        return self._client
