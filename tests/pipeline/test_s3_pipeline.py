"""The generation pipeline with storage_provider="s3": a paid order becomes a preview while
every asset, artifact and build lives in an S3 bucket (moto's server), nothing on disk."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.client import Client

from sitegen.integrations.storage.s3 import S3Storage
from sitegen.settings import Settings
from sitegen.worker import build_clients, build_worker
from tests.conftest import example_names, unique_onboarding
from tests.pipeline.helpers import artifacts, order_site, wait_status

if TYPE_CHECKING:
    from tests.fakes.s3 import S3Fake

# The S3 server fixtures (s3_server, s3, s3_bucket, s3_own_server).
pytest_plugins = ["tests.fakes.s3"]

PREFIX = "sitegen/test"


@pytest.fixture
def settings(settings: Settings, s3: S3Fake, s3_bucket: str) -> Settings:
    """The suite's settings, with storage in the bucket under a prefix."""
    return settings.model_copy(update=s3.settings(s3_bucket, s3_prefix=PREFIX))


@pytest.fixture
async def worker(settings: Settings, engine: AsyncEngine, temporal: Client) -> AsyncIterator[None]:
    """The suite's in-process worker, closing the S3 client's connections after."""
    clients = build_clients(settings, engine)
    assert isinstance(clients.storage, S3Storage)
    try:
        async with build_worker(temporal, clients, settings, settings.task_queue):
            yield
    finally:
        await clients.storage.aclose()


@pytest.mark.usefixtures("worker")
async def test_an_order_becomes_a_preview_with_storage_in_s3(
    api: httpx.AsyncClient,
    settings: Settings,
    sessions: Any,
    s3: S3Fake,
    s3_bucket: str,
) -> None:
    created = await order_site(api, unique_onboarding(example_names()[0]))
    project = await wait_status(api, created["id"])
    assert project["status"] == "preview_ready", project

    keys = s3.keys(s3_bucket)
    root = f"{PREFIX}/projects/{created['id']}/"
    assert keys and all(k.startswith(root) for k in keys), keys
    kinds = {k.removeprefix(root).split("/")[0] for k in keys}
    assert {"onboarding", "artifacts", "builds"} <= kinds, kinds
    assert not settings.storage_root.exists()  # nothing went to the filesystem backend

    admin = s3.admin()
    indexed = await artifacts(sessions, created["id"])
    assert indexed
    for artifact in indexed:
        head = admin.head_object(Bucket=s3_bucket, Key=f"{PREFIX}/{artifact.storage_ref}")
        assert head["ContentLength"] == artifact.file_size
        assert head["ContentType"] == artifact.mime_type
        assert head["Metadata"]["sha256"] == artifact.sha256
    build = next(k for k in keys if k.endswith(".tar.gz"))
    body = admin.get_object(Bucket=s3_bucket, Key=build)["Body"].read()
    assert body[:2] == b"\x1f\x8b"  # the built site, gzipped, as deploy_preview reads it
    assert (
        hashlib.sha256(body).hexdigest()
        == admin.head_object(Bucket=s3_bucket, Key=build)["Metadata"]["sha256"]
    )
