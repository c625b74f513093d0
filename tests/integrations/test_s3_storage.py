"""What only the S3 backend has to get right: checksums the service sees, presigned URLs,
prefixes, and telling a refusal (permanent, names the setting, never the secret) from an
outage (retried) from a missing object."""

from __future__ import annotations

import base64
import hashlib
import logging
import socket
import traceback
from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING

import httpx
import pytest
from pydantic import SecretStr
from structlog.testing import capture_logs
from temporalio.exceptions import ApplicationError

from sitegen.activities.support import classify
from sitegen.contracts.activities import DEPENDENCY_DOWN
from sitegen.integrations.providers import make_storage
from sitegen.integrations.storage import (
    ObjectNotFound,
    StorageError,
    StorageMisconfigured,
    StorageUnavailable,
)
from sitegen.integrations.storage.s3 import S3Storage
from sitegen.settings import Settings

if TYPE_CHECKING:
    from tests.fakes.s3 import S3Fake

# The S3 server fixtures (s3_server, s3, s3_bucket, s3_own_server).
pytest_plugins = ["tests.fakes.s3"]


@pytest.fixture
async def store(s3: S3Fake, s3_bucket: str) -> AsyncIterator[S3Storage]:
    storage = s3.storage(s3_bucket)
    yield storage
    await storage.aclose()


async def test_objects_carry_their_sha256_and_the_service_verifies_the_upload(
    store: S3Storage,
    s3: S3Fake,
    s3_bucket: str,
) -> None:
    data = b"<svg/>"
    obj = await store.put("projects/p1/assets/logo.svg", data, "image/svg+xml")
    # What the service verifies the body against (moto records but does not check them).
    sent = s3.last_request("PUT", f"/{s3_bucket}/{obj.key}")
    sha256_b64 = base64.b64encode(hashlib.sha256(data).digest()).decode()
    assert sent["content-md5"] == base64.b64encode(hashlib.md5(data).digest()).decode()
    assert sent["x-amz-checksum-sha256"] == sha256_b64
    assert sent["x-amz-sdk-checksum-algorithm"] == "SHA256"
    assert "aws-chunked" not in sent.get("content-encoding", "")  # a plain, signed body
    head = s3.admin().head_object(Bucket=s3_bucket, Key=obj.key, ChecksumMode="ENABLED")
    assert head["Metadata"] == {"sha256": obj.sha256}
    assert head["ChecksumSHA256"] == sha256_b64
    assert head["ContentType"] == "image/svg+xml"


async def test_an_object_put_by_something_else_is_hashed(
    store: S3Storage,
    s3: S3Fake,
    s3_bucket: str,
) -> None:
    s3.admin().put_object(Bucket=s3_bucket, Key="legacy/page.html", Body=b"<p>hi</p>")
    stat = await store.stat("legacy/page.html")
    assert stat.sha256 == hashlib.sha256(b"<p>hi</p>").hexdigest() and stat.size == 9


async def test_bytes_that_do_not_match_their_sha256_are_refused(
    store: S3Storage,
    s3: S3Fake,
    s3_bucket: str,
) -> None:
    s3.admin().put_object(
        Bucket=s3_bucket,
        Key="k/torn.bin",
        Body=b"half",
        Metadata={"sha256": "0" * 64},
        ChecksumAlgorithm="SHA256",  # the service's own checksum is of the real bytes
    )
    with pytest.raises(StorageError, match="does not match") as caught:
        await store.get("k/torn.bin")
    assert not isinstance(caught.value, ObjectNotFound)
    with pytest.raises(StorageError, match="disagrees"):
        await store.stat("k/torn.bin")


async def test_a_presigned_url_is_fetchable_until_it_expires(
    store: S3Storage,
    s3: S3Fake,
) -> None:
    await store.put("projects/p1/assets/hero.jpg", b"\xff\xd8jpeg", "image/jpeg")
    url = await store.presigned_url("projects/p1/assets/hero.jpg", 60)
    assert url is not None and "X-Amz-Signature=" in url and "X-Amz-Expires=60" in url
    async with httpx.AsyncClient() as http:
        fresh = await http.get(url)
        assert fresh.status_code == 200 and fresh.content == b"\xff\xd8jpeg"
        assert fresh.headers["content-type"] == "image/jpeg"
        s3.advance_clock(61)
        stale = await http.get(url)
    assert stale.status_code == 403 and "Request has expired" in stale.text


async def test_a_prefix_keeps_deployments_apart(s3: S3Fake, s3_bucket: str) -> None:
    staging = s3.storage(s3_bucket, prefix="sitegen/staging")
    prod = s3.storage(s3_bucket, prefix="/sitegen/prod/")
    bare = s3.storage(s3_bucket)
    try:
        await staging.put("projects/p1/brief.md", b"staging", "text/markdown")
        await prod.put("projects/p1/brief.md", b"prod", "text/markdown")
        assert await staging.get("projects/p1/brief.md") == b"staging"
        assert await prod.get("projects/p1/brief.md") == b"prod"
        assert not await bare.exists("projects/p1/brief.md")
        assert sorted(s3.keys(s3_bucket)) == [
            "sitegen/prod/projects/p1/brief.md",
            "sitegen/staging/projects/p1/brief.md",
        ]
        await staging.delete("projects/p1/brief.md")
        assert await prod.exists("projects/p1/brief.md")
    finally:
        for storage in (staging, prod, bare):
            await storage.aclose()
    with pytest.raises(StorageMisconfigured, match="SITEGEN_S3_PREFIX"):
        s3.storage(s3_bucket, prefix="../escape")


@pytest.fixture
def debug_logs(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """Everything botocore and aiohttp log too, at DEBUG."""
    caplog.set_level(logging.DEBUG)
    yield caplog


async def test_wrong_credentials_are_final_and_name_the_setting_never_the_secret(
    s3: S3Fake,
    s3_bucket: str,
    debug_logs: pytest.LogCaptureFixture,
) -> None:
    secret = "wrong-secret-Zq8vTn3LkP0xR7sW2yU5"
    wrong_secret = s3.storage(s3_bucket, secret_access_key=SecretStr(secret))
    unknown_key = s3.storage(
        s3_bucket, access_key_id="AKIAUNKNOWN000000000", secret_access_key=SecretStr(secret)
    )
    right = s3.storage(s3_bucket)
    errors: list[BaseException] = []
    try:
        with s3.require_signatures(), capture_logs() as logs:
            await right.put("k/ok.txt", b"ok", "text/plain")  # signatures really are checked
            for storage in (wrong_secret, unknown_key):
                for call in (
                    storage.put("k/a.txt", b"a", "text/plain"),
                    storage.get("k/ok.txt"),
                    storage.stat("k/ok.txt"),
                    storage.exists("k/ok.txt"),
                ):
                    with pytest.raises(StorageMisconfigured) as caught:
                        await call
                    errors.append(caught.value)
    finally:
        for storage in (wrong_secret, unknown_key, right):
            await storage.aclose()

    assert len(errors) == 8
    for error in errors:
        assert "SITEGEN_S3_SECRET_ACCESS_KEY" in str(error)
        assert "SITEGEN_S3_ACCESS_KEY_ID" in str(error)
        assert secret not in "".join(traceback.format_exception(error))
        final = classify(error)  # type: ignore[arg-type]
        assert isinstance(final, ApplicationError) and final.non_retryable
        assert final.type == "StorageMisconfigured" and secret not in final.message
    assert any(e["event"] == "storage.s3.failed" for e in logs)
    assert secret not in repr(logs)
    assert secret not in debug_logs.text and secret not in repr(debug_logs.records)
    assert secret not in repr(wrong_secret)


async def test_a_missing_bucket_is_final_and_names_the_setting(s3: S3Fake) -> None:
    storage = s3.storage("sitegen-no-such-bucket")
    try:
        with pytest.raises(StorageMisconfigured, match="SITEGEN_S3_BUCKET"):
            await storage.put("k/a.txt", b"a", "text/plain")
    finally:
        await storage.aclose()


async def test_a_stopped_server_is_an_outage_not_a_missing_object(s3_own_server: S3Fake) -> None:
    fake = s3_own_server
    bucket = fake.create_bucket()
    storage = fake.storage(bucket)
    try:
        await storage.put("projects/p1/artifacts/brief.md", b"# brief", "text/markdown")
        fake.stop()
        for call in (
            storage.get("projects/p1/artifacts/brief.md"),
            storage.stat("projects/p1/artifacts/brief.md"),
            storage.exists("projects/p1/artifacts/brief.md"),  # not False: we do not know
            storage.put("projects/p1/artifacts/sitemap.json", b"{}", "application/json"),
        ):
            with pytest.raises(StorageUnavailable) as caught:
                await call
            final = classify(caught.value)
            assert isinstance(final, ApplicationError) and not final.non_retryable
            assert final.type == DEPENDENCY_DOWN and "storage is unavailable" in final.message
    finally:
        await storage.aclose()


async def test_a_frozen_server_times_out_as_an_outage(s3: S3Fake) -> None:
    # Listens and accepts into the backlog, never answers: a hung service, not a dead one.
    with socket.socket() as frozen:
        frozen.bind(("127.0.0.1", 0))
        frozen.listen(8)
        endpoint = f"http://127.0.0.1:{frozen.getsockname()[1]}"
        storage = s3.storage("any-bucket", endpoint_url=endpoint, timeout_seconds=0.5)
        try:
            with pytest.raises(StorageUnavailable):
                await storage.get("k/a.txt")
        finally:
            await storage.aclose()


async def test_throttling_and_server_errors_are_outages(
    store: S3Storage,
    s3: S3Fake,
    s3_bucket: str,
) -> None:
    await store.put("k/a.txt", b"a", "text/plain")
    s3.fail_next(503, "SlowDown")
    with pytest.raises(StorageUnavailable, match="SlowDown"):
        await store.put("k/b.txt", b"b", "text/plain")
    s3.fail_next(500, "InternalError")
    with pytest.raises(StorageUnavailable, match="InternalError"):
        await store.get("k/a.txt")
    assert await store.get("k/a.txt") == b"a"  # the blip is over
    # With the SDK's own retries on (the default setting), one blip is absorbed.
    patient = s3.storage(s3_bucket, max_attempts=3)
    try:
        s3.fail_next(503, "SlowDown")
        await patient.put("k/c.txt", b"c", "text/plain")
    finally:
        await patient.aclose()
    assert await store.get("k/c.txt") == b"c"


def test_the_worker_stops_at_start_naming_each_missing_setting() -> None:
    secret = "a-secret-that-must-not-show"
    settings = Settings(
        storage_provider="s3", s3_secret_access_key=SecretStr(secret), s3_access_key_id=""
    )
    with pytest.raises(SystemExit) as caught:
        make_storage(settings)
    message = str(caught.value)
    assert "SITEGEN_S3_BUCKET" in message and "SITEGEN_S3_ACCESS_KEY_ID" in message
    assert "SITEGEN_S3_SECRET_ACCESS_KEY" not in message and secret not in message


async def test_make_storage_builds_s3_from_settings(s3: S3Fake, s3_bucket: str) -> None:
    storage = make_storage(Settings(**s3.settings(s3_bucket, s3_prefix="env")))
    assert isinstance(storage, S3Storage) and storage.prefix == "env"
    try:
        await storage.put("k/a.txt", b"a", "text/plain")
        assert s3.keys(s3_bucket) == ["env/k/a.txt"]
    finally:
        await storage.aclose()
