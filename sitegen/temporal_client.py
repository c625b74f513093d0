"""One way to reach Temporal, so the API, worker and CLI agree on the data converter."""

from __future__ import annotations

import dataclasses

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import DataConverter, DefaultFailureConverterWithEncodedAttributes

from sitegen.payload_codec import codec_from_settings
from sitegen.settings import Settings


def data_converter(settings: Settings) -> DataConverter:
    """The converter of every client, worker and replayer.

    pydantic: the default converter cannot carry Decimal (AI cost) or pydantic models. The
    codec encrypts every payload (personal data never in clear on the server) and passes
    unencrypted ones through, so histories from before encryption still decode. Failure
    messages and stack traces move into an encoded payload too, because an error can quote
    a client's data (an email, an asset URL).
    """
    return dataclasses.replace(
        pydantic_data_converter,
        payload_codec=codec_from_settings(settings),
        failure_converter_class=DefaultFailureConverterWithEncodedAttributes,
    )


async def connect(settings: Settings, address: str | None = None) -> Client:
    target = address or settings.temporal_address or f"127.0.0.1:{settings.temporal_port}"
    return await Client.connect(
        target,
        namespace=settings.temporal_namespace,
        data_converter=data_converter(settings),
    )
