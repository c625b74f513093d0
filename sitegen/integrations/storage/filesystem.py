"""Filesystem storage: objects are plain files under ``root``, metadata sits beside them.

Layout::

    root/<key>                      the bytes, exactly as stored
    root/.meta/<key>.json           {"content_type", "sha256", "size"}

Writes go to a temp file in the destination directory and are moved into place with
``os.replace``, so a reader (or a retry after a crash) sees either the old object or the new
one, never a torn file. Blocking I/O runs in a worker thread to keep the event loop free.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import mimetypes
import os
import uuid
from pathlib import Path

import structlog

from sitegen.integrations.storage.base import (
    ObjectNotFound,
    StoredObject,
    check_expiry,
    validate_key,
)

log = structlog.get_logger()

_META_DIR = ".meta"


def _atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.parent / f".{path.name}.{uuid.uuid4().hex}.tmp"
    try:
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        # Only present if something failed before the replace.
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


class FilesystemStorage:
    """Local default for the Storage port."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root).resolve()

    def _path(self, key: str) -> Path:
        validate_key(key)
        path = self.root / key
        # validate_key already forbids "..", this is belt and braces against future changes.
        if self.root not in path.parents:
            raise ObjectNotFound(key)
        return path

    def _meta_path(self, key: str) -> Path:
        return self.root / _META_DIR / f"{key}.json"

    async def put(self, key: str, data: bytes, content_type: str) -> StoredObject:
        path = self._path(key)
        obj = StoredObject(
            key=key,
            size=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
            content_type=content_type,
        )
        await asyncio.to_thread(self._put_sync, path, obj, bytes(data))
        log.debug("storage.put", key=key, size=obj.size)
        return obj

    def _put_sync(self, path: Path, obj: StoredObject, data: bytes) -> None:
        # Data first, metadata second: a crash in between leaves valid data whose metadata
        # stat() can recompute; the retry rewrites both anyway.
        _atomic_write(path, data)
        meta = {"content_type": obj.content_type, "sha256": obj.sha256, "size": obj.size}
        _atomic_write(self._meta_path(obj.key), json.dumps(meta).encode())

    async def get(self, key: str) -> bytes:
        path = self._path(key)
        try:
            return await asyncio.to_thread(path.read_bytes)
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError) as exc:
            raise ObjectNotFound(key) from exc

    async def stat(self, key: str) -> StoredObject:
        path = self._path(key)
        return await asyncio.to_thread(self._stat_sync, key, path)

    def _stat_sync(self, key: str, path: Path) -> StoredObject:
        if not path.is_file():
            raise ObjectNotFound(key)
        size = path.stat().st_size
        try:
            meta = json.loads(self._meta_path(key).read_text())
            if meta.get("size") == size:
                return StoredObject(key, size, str(meta["sha256"]), str(meta["content_type"]))
        except (FileNotFoundError, ValueError, KeyError):
            pass
        # Metadata missing or stale (crash between the two writes): recompute from the bytes.
        data = path.read_bytes()
        guessed = mimetypes.guess_type(key)[0] or "application/octet-stream"
        return StoredObject(key, len(data), hashlib.sha256(data).hexdigest(), guessed)

    async def exists(self, key: str) -> bool:
        path = self._path(key)
        return await asyncio.to_thread(path.is_file)

    async def delete(self, key: str) -> None:
        path = self._path(key)
        await asyncio.to_thread(self._delete_sync, key, path)

    def _delete_sync(self, key: str, path: Path) -> None:
        for p in (path, self._meta_path(key)):
            with contextlib.suppress(FileNotFoundError):
                p.unlink()

    async def presigned_url(self, key: str, expires_seconds: int) -> str | None:
        # A file:// URI would only work on this machine and never expire: better to say
        # "no shareable URL" and let the caller serve the bytes through the API.
        self._path(key)
        check_expiry(expires_seconds)
        return None
