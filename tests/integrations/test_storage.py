import hashlib
from pathlib import Path

import pytest

from sitegen.integrations.storage import (
    FilesystemStorage,
    InvalidKey,
    ObjectNotFound,
    Storage,
)


@pytest.fixture
def storage(tmp_path: Path) -> FilesystemStorage:
    return FilesystemStorage(tmp_path / "store")


async def test_put_get_roundtrip(storage: FilesystemStorage) -> None:
    assert isinstance(storage, Storage)
    obj = await storage.put("projects/p1/brief-v1.json", b'{"a": 1}', "application/json")
    assert obj.size == 8
    assert obj.sha256 == hashlib.sha256(b'{"a": 1}').hexdigest()
    assert obj.content_type == "application/json"
    assert await storage.get("projects/p1/brief-v1.json") == b'{"a": 1}'
    assert await storage.exists("projects/p1/brief-v1.json")
    assert await storage.stat("projects/p1/brief-v1.json") == obj


async def test_put_twice_is_idempotent_and_overwrites(storage: FilesystemStorage) -> None:
    a = await storage.put("k/x.bin", b"one", "application/octet-stream")
    b = await storage.put("k/x.bin", b"one", "application/octet-stream")
    assert a == b
    await storage.put("k/x.bin", b"two!", "text/plain")
    assert await storage.get("k/x.bin") == b"two!"
    assert (await storage.stat("k/x.bin")).content_type == "text/plain"
    # no temp files left behind
    leftovers = [p for p in storage.root.rglob("*.tmp")]
    assert leftovers == []


async def test_missing_and_delete(storage: FilesystemStorage) -> None:
    with pytest.raises(ObjectNotFound):
        await storage.get("nope")
    with pytest.raises(ObjectNotFound):
        await storage.stat("nope")
    assert not await storage.exists("nope")
    await storage.put("a/b", b"x", "text/plain")
    await storage.delete("a/b")
    await storage.delete("a/b")  # deleting twice is fine
    assert not await storage.exists("a/b")


async def test_crash_between_data_and_metadata_recovers(storage: FilesystemStorage) -> None:
    # Simulate a crash after the data write but before the metadata write.
    (storage.root / "img").mkdir(parents=True)
    (storage.root / "img" / "logo.png").write_bytes(b"\x89PNG")
    st = await storage.stat("img/logo.png")
    assert st.sha256 == hashlib.sha256(b"\x89PNG").hexdigest()
    assert st.content_type == "image/png"
    # the retry completes the write
    obj = await storage.put("img/logo.png", b"\x89PNG", "image/png")
    assert await storage.stat("img/logo.png") == obj


@pytest.mark.parametrize(
    "key",
    ["", "/abs", "../up", "a/../b", "a//b", "a/./b", ".hidden", "a/.meta", "sp ace", "a\\b",
     "x/", "é", "a\x00b", "k" * 600],
)  # fmt: skip
async def test_invalid_keys_rejected(storage: FilesystemStorage, key: str) -> None:
    with pytest.raises(InvalidKey):
        await storage.put(key, b"x", "text/plain")
    with pytest.raises(InvalidKey):
        await storage.get(key)
    assert not (storage.root.parent / "up").exists()
