"""Storage port: a flat key -> bytes object store (filesystem locally, S3/R2 in production).

Keys look like S3 keys (``projects/p1/artifacts/brief-v1.json``). ``put`` is naturally idempotent:
writing the same key twice leaves one object, so activities can retry freely.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

# One or more segments of [A-Za-z0-9._-] separated by "/". A segment may not start with "."
# (which also rules out "." and ".."): dot-names are reserved for temp files and metadata.
_SEGMENT = r"[A-Za-z0-9_-][A-Za-z0-9._-]*"
_KEY_RE = re.compile(rf"^{_SEGMENT}(?:/{_SEGMENT})*$")
MAX_KEY_LENGTH = 512
# SigV4 presigned URLs live at most 7 days; the port holds every backend to the same bound.
MAX_URL_EXPIRY_SECONDS = 7 * 24 * 3600


class StorageError(Exception):
    """Base class for storage failures."""


class InvalidKey(StorageError, ValueError):
    """The key is absolute, contains "..", or uses characters outside the allowed set."""


class ObjectNotFound(StorageError, LookupError):
    """No object is stored under the key."""


class StorageUnavailable(StorageError):
    """The store cannot be reached or is overloaded right now (connection refused, timeout,
    throttling, 5xx): the same call is expected to succeed later, so it is retried."""


class StorageMisconfigured(StorageError):
    """The store refuses us for a reason only a setting can fix (credentials, permissions,
    bucket, region): retrying cannot help. The message names the setting, never its value
    when that value is a secret."""


@dataclass(frozen=True)
class StoredObject:
    key: str
    size: int
    sha256: str
    content_type: str


def validate_key(key: str) -> str:
    """Return ``key`` unchanged if it is safe to use on any backend, else raise InvalidKey."""
    if not isinstance(key, str) or not key:
        raise InvalidKey("storage key must be a non-empty string")
    if len(key) > MAX_KEY_LENGTH:
        raise InvalidKey(f"storage key longer than {MAX_KEY_LENGTH} characters")
    if not _KEY_RE.fullmatch(key):
        raise InvalidKey(
            f"invalid storage key {key!r}: use relative segments of [A-Za-z0-9._-] "
            "separated by '/', none starting with '.'"
        )
    return key


def check_expiry(expires_seconds: int) -> int:
    """Return ``expires_seconds`` if it is a valid lifetime for a presigned URL."""
    if not 1 <= expires_seconds <= MAX_URL_EXPIRY_SECONDS:
        raise ValueError(f"expires_seconds must be 1..{MAX_URL_EXPIRY_SECONDS}")
    return expires_seconds


@runtime_checkable
class Storage(Protocol):
    async def put(self, key: str, data: bytes, content_type: str) -> StoredObject:
        """Store ``data`` under ``key`` (replacing any previous object) atomically."""
        ...

    async def get(self, key: str) -> bytes:
        """Return the object's bytes; raise ObjectNotFound if missing."""
        ...

    async def stat(self, key: str) -> StoredObject:
        """Return the object's metadata; raise ObjectNotFound if missing."""
        ...

    async def exists(self, key: str) -> bool: ...

    async def delete(self, key: str) -> None:
        """Remove the object. Deleting a missing key is not an error (idempotent)."""
        ...

    async def presigned_url(self, key: str, expires_seconds: int) -> str | None:
        """A URL anyone holding it can GET the object from, until it expires; None when the
        backend has no such URL (serve the object through the API instead). Makes no
        network call and does not check that the object exists."""
        ...
