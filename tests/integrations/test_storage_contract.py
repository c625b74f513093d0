"""The Storage port's contract, held against every backend: the filesystem default and S3
(moto's server, through the real SDK). An activity must not be able to tell them apart."""

from __future__ import annotations

import hashlib
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from sitegen.integrations.storage import (
    FilesystemStorage,
    InvalidKey,
    ObjectNotFound,
    Storage,
    StoredObject,
)
from sitegen.integrations.storage.s3 import S3Storage

if TYPE_CHECKING:
    from tests.fakes.s3 import S3Fake

# The S3 server fixtures (s3_server, s3, s3_bucket, s3_own_server).
pytest_plugins = ["tests.fakes.s3"]


@pytest.fixture(params=["filesystem", "s3"])
async def storage(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Storage]:
    if request.param == "filesystem":
        yield FilesystemStorage(tmp_path / "store")
        return
    fake: S3Fake = request.getfixturevalue("s3")
    store = fake.storage(fake.create_bucket())
    try:
        yield store
    finally:
        await store.aclose()


async def test_put_get_stat_exists_delete(storage: Storage) -> None:
    assert isinstance(storage, Storage)
    data = b'{"a": 1}'
    obj = await storage.put("projects/p1/artifacts/brief-v1.json", data, "application/json")
    assert obj == StoredObject(
        "projects/p1/artifacts/brief-v1.json",
        8,
        hashlib.sha256(data).hexdigest(),
        "application/json",
    )
    assert await storage.get(obj.key) == data
    assert await storage.exists(obj.key)
    assert await storage.stat(obj.key) == obj
    await storage.delete(obj.key)
    assert not await storage.exists(obj.key)
    await storage.delete(obj.key)  # deleting a missing key is fine


async def test_put_is_idempotent_and_overwrites(storage: Storage) -> None:
    a = await storage.put("k/x.bin", b"one", "application/octet-stream")
    b = await storage.put("k/x.bin", b"one", "application/octet-stream")
    assert a == b == await storage.stat("k/x.bin")
    c = await storage.put("k/x.bin", b"two!", "text/plain; charset=utf-8")
    assert await storage.get("k/x.bin") == b"two!"
    assert await storage.stat("k/x.bin") == c
    assert c.content_type == "text/plain; charset=utf-8" and c.size == 4


async def test_missing_objects(storage: Storage) -> None:
    with pytest.raises(ObjectNotFound):
        await storage.get("projects/none/x.json")
    with pytest.raises(ObjectNotFound):
        await storage.stat("projects/none/x.json")
    assert not await storage.exists("projects/none/x.json")
    # A "directory" is not an object.
    await storage.put("dir/inner.txt", b"x", "text/plain")
    assert not await storage.exists("dir")
    with pytest.raises(ObjectNotFound):
        await storage.get("dir")


@pytest.mark.parametrize("key", ["", "/abs", "../up", "a/../b", "a//b", ".hidden", "sp ace", "x/"])
async def test_invalid_keys_are_refused_before_any_io(storage: Storage, key: str) -> None:
    with pytest.raises(InvalidKey):
        await storage.put(key, b"x", "text/plain")
    with pytest.raises(InvalidKey):
        await storage.get(key)
    with pytest.raises(InvalidKey):
        await storage.stat(key)
    with pytest.raises(InvalidKey):
        await storage.exists(key)
    with pytest.raises(InvalidKey):
        await storage.delete(key)
    with pytest.raises(InvalidKey):
        await storage.presigned_url(key, 60)


async def test_binary_bytes_round_trip(storage: Storage) -> None:
    data = bytes(range(256)) * 4 + b"\x00\r\n\xff"
    obj = await storage.put("projects/p1/assets/logo.png", data, "image/png")
    assert await storage.get(obj.key) == data
    stat = await storage.stat(obj.key)
    assert stat.sha256 == hashlib.sha256(data).hexdigest() and stat.content_type == "image/png"


async def test_a_5_mb_object(storage: Storage) -> None:
    data = os.urandom(5 * 1024 * 1024)
    obj = await storage.put("projects/p1/builds/dist.tar.gz", data, "application/gzip")
    assert obj.size == len(data)
    assert await storage.get(obj.key) == data
    assert await storage.stat(obj.key) == obj


async def test_presigned_url_is_a_string_or_none(storage: Storage) -> None:
    await storage.put("projects/p1/assets/hero.jpg", b"jpeg", "image/jpeg")
    url = await storage.presigned_url("projects/p1/assets/hero.jpg", 300)
    if isinstance(storage, S3Storage):
        assert url is not None and url.startswith(storage.endpoint_url or "https://")
    else:
        assert url is None  # the filesystem has no URL someone else could fetch
    for bad in (0, 7 * 24 * 3600 + 1):
        with pytest.raises(ValueError):
            await storage.presigned_url("projects/p1/assets/hero.jpg", bad)
