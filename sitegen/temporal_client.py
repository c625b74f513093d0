"""One way to reach Temporal, so the API, worker and CLI agree on the data converter."""

from __future__ import annotations

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter

from sitegen.settings import Settings


async def connect(settings: Settings, address: str | None = None) -> Client:
    target = address or settings.temporal_address or f"127.0.0.1:{settings.temporal_port}"
    return await Client.connect(
        target,
        namespace=settings.temporal_namespace,
        # The default converter cannot carry Decimal (AI cost) or pydantic models.
        data_converter=pydantic_data_converter,
    )
