"""S3-compatible storage (AWS S3, Cloudflare R2, MinIO) behind the Storage port.

Object layout: ``s3://{bucket}/{prefix}/{key}``, where key is the port's key
(``projects/{project_id}/assets|artifacts|builds/...``, seed 002 §2.5) and the prefix is
optional. Each object carries its content type and its SHA-256 twice: as user metadata
(``x-amz-meta-sha256``, hex, what ``stat`` returns on every S3-compatible service) and as
``x-amz-checksum-sha256`` with ``Content-MD5``, so the service itself verifies the upload.

One aioboto3 session, and one long-lived client opened on first use and closed by
``aclose()`` at worker shutdown: a client per call would pay client setup and a new
TCP+TLS handshake on every put, where the long-lived client reuses pooled connections.
A client belongs to the event loop it was opened on, so a call from another loop (a test,
a CLI that runs asyncio twice) opens its own.

Errors are mapped to the port's: missing object -> ObjectNotFound; connection failures,
timeouts, throttling and 5xx -> StorageUnavailable (retried, the workflow waits);
credentials, permissions, bucket or region refused -> StorageMisconfigured (permanent, the
message names the setting to fix). The secret key is held as a SecretStr and is never
logged or put in a message.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import hashlib
import mimetypes
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, NoReturn

import aioboto3
import structlog
from aiobotocore.config import AioConfig
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    HTTPClientError,
    NoCredentialsError,
    PartialCredentialsError,
)
from botocore.exceptions import ConnectionError as BotoConnectionError
from pydantic import SecretStr

from sitegen.integrations.storage.base import (
    InvalidKey,
    ObjectNotFound,
    StorageError,
    StorageMisconfigured,
    StorageUnavailable,
    StoredObject,
    check_expiry,
    validate_key,
)

if TYPE_CHECKING:
    from sitegen.settings import Settings

log = structlog.get_logger()

_SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")
_CREDENTIALS = "SITEGEN_S3_ACCESS_KEY_ID and SITEGEN_S3_SECRET_ACCESS_KEY"
_NOT_FOUND = {"NoSuchKey", "NotFound", "404"}
_BAD_CREDENTIALS = {
    "InvalidAccessKeyId",
    "SignatureDoesNotMatch",
    "InvalidToken",
    "ExpiredToken",
    "InvalidClientTokenId",
}
_DENIED = {"AccessDenied", "AllAccessDisabled", "403"}
_WRONG_PLACE = {"AuthorizationHeaderMalformed", "PermanentRedirect", "301", "InvalidRegion"}
_BUSY = {
    "SlowDown",
    "Throttling",
    "ThrottlingException",
    "TooManyRequests",
    "RequestTimeout",
    "InternalError",
    "ServiceUnavailable",
}

AddressingStyle = Literal["auto", "virtual", "path"]


@dataclass
class _LoopClient:
    """The client opened on one event loop, and what closes it."""

    loop: asyncio.AbstractEventLoop
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    client: Any = None  # aiobotocore S3 client; no stubs installed (types-aiobotocore)
    stack: contextlib.AsyncExitStack | None = None


# Hashing a build archive takes milliseconds per MB; above this, do it in a thread
# (hashlib releases the GIL) so the event loop keeps serving other activities.
_INLINE_HASH_BYTES = 1 << 20


async def _hashed(data: bytes, md5: bool = False) -> tuple[bytes, bytes]:
    """SHA-256 (and, if asked, MD5; else b"") of ``data``, off the loop when it is large."""

    def digest() -> tuple[bytes, bytes]:
        md5_digest = hashlib.md5(data, usedforsecurity=False).digest() if md5 else b""
        return hashlib.sha256(data).digest(), md5_digest

    if len(data) <= _INLINE_HASH_BYTES:
        return digest()
    return await asyncio.to_thread(digest)


def _b64(digest: bytes) -> str:
    return base64.b64encode(digest).decode()


def _hex_of_checksum(value: object) -> str | None:
    """The hex SHA-256 of a full-object ``ChecksumSHA256`` (base64); None for a multipart
    composite ("...-3") or anything unreadable."""
    if not isinstance(value, str) or "-" in value:
        return None
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return None
    return raw.hex() if len(raw) == 32 else None


class S3Storage:
    """The Storage port on any S3-compatible endpoint."""

    def __init__(
        self,
        *,
        bucket: str,
        access_key_id: str,
        secret_access_key: SecretStr,
        endpoint_url: str | None = None,
        region: str = "us-east-1",
        prefix: str = "",
        addressing_style: AddressingStyle = "auto",
        timeout_seconds: float = 30,
        max_attempts: int = 3,
    ) -> None:
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        if self.prefix:
            try:
                validate_key(self.prefix)
            except InvalidKey as exc:
                raise StorageMisconfigured(
                    f"SITEGEN_S3_PREFIX is not a valid prefix: {exc}"
                ) from None
        self.endpoint_url = endpoint_url or None
        self.region = region
        self._access_key_id = access_key_id
        self._secret = secret_access_key
        self._config = AioConfig(
            signature_version="s3v4",  # presigned URLs too (botocore would presign SigV2)
            s3={"addressing_style": addressing_style},
            retries={"total_max_attempts": max_attempts, "mode": "standard"},
            connect_timeout=timeout_seconds,
            read_timeout=timeout_seconds,
            # We send our own SHA-256 checksum header. Without this botocore 1.36+ adds a
            # CRC32 with aws-chunked trailers, which several S3-compatible services reject.
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
        )
        self._session = aioboto3.Session()
        self._state: _LoopClient | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> S3Storage:
        """Raise StorageMisconfigured naming every required setting that is unset."""
        missing = [
            f"SITEGEN_S3_{name.upper()}"
            for name, value in (
                ("bucket", settings.s3_bucket),
                ("access_key_id", settings.s3_access_key_id),
                ("secret_access_key", settings.s3_secret_access_key),
            )
            if not value or (isinstance(value, SecretStr) and not value.get_secret_value())
        ]
        if missing:
            raise StorageMisconfigured(f"storage_provider=s3 needs {', '.join(missing)} set")
        assert settings.s3_bucket and settings.s3_access_key_id
        assert settings.s3_secret_access_key is not None
        return cls(
            bucket=settings.s3_bucket,
            access_key_id=settings.s3_access_key_id,
            secret_access_key=settings.s3_secret_access_key,
            endpoint_url=settings.s3_endpoint_url,
            region=settings.s3_region,
            prefix=settings.s3_prefix,
            addressing_style=settings.s3_addressing_style,
            timeout_seconds=settings.s3_timeout_seconds,
            max_attempts=settings.s3_max_attempts,
        )

    def __repr__(self) -> str:
        return f"S3Storage(bucket={self.bucket!r}, prefix={self.prefix!r})"

    # --- the client -----------------------------------------------------------------------

    async def _client(self) -> Any:
        loop = asyncio.get_running_loop()
        state = self._state
        if state is None or state.loop is not loop:
            # A client opened on another (likely finished) loop cannot be used or closed
            # from this one; it is dropped.
            state = self._state = _LoopClient(loop)
        if state.client is None:
            async with state.lock:
                if state.client is None:
                    stack = contextlib.AsyncExitStack()
                    state.client = await stack.enter_async_context(
                        self._session.client(
                            "s3",
                            endpoint_url=self.endpoint_url,
                            region_name=self.region,
                            aws_access_key_id=self._access_key_id,
                            aws_secret_access_key=self._secret.get_secret_value(),
                            config=self._config,
                        )
                    )
                    state.stack = stack
                    log.info("storage.s3.open", bucket=self.bucket, prefix=self.prefix)
        return state.client

    async def aclose(self) -> None:
        """Close the pooled connections (worker shutdown). Safe to call twice."""
        state, self._state = self._state, None
        loop = asyncio.get_running_loop()
        if state is not None and state.stack is not None and state.loop is loop:
            await state.stack.aclose()

    # --- the port -------------------------------------------------------------------------

    def _object_key(self, key: str) -> str:
        validate_key(key)
        return f"{self.prefix}/{key}" if self.prefix else key

    async def put(self, key: str, data: bytes, content_type: str) -> StoredObject:
        name = self._object_key(key)
        data = bytes(data)
        digest, md5 = await _hashed(data, md5=True)
        obj = StoredObject(key, len(data), digest.hex(), content_type)
        client = await self._client()
        try:
            await client.put_object(
                Bucket=self.bucket,
                Key=name,
                Body=data,
                ContentType=content_type,
                # Both: Content-MD5 is verified by every S3-compatible service, the SHA-256
                # checksum by AWS, R2 and MinIO, which also keep it for HEAD/GET.
                ContentMD5=_b64(md5),
                ChecksumAlgorithm="SHA256",
                ChecksumSHA256=_b64(digest),
                Metadata={"sha256": obj.sha256},
            )
        except Exception as exc:
            self._fail(exc, "PutObject", key)
        log.debug("storage.put", key=key, size=obj.size)
        return obj

    async def get(self, key: str) -> bytes:
        name = self._object_key(key)
        client = await self._client()
        try:
            response = await client.get_object(Bucket=self.bucket, Key=name)
            async with response["Body"] as body:
                data: bytes = await body.read()
        except Exception as exc:
            self._fail(exc, "GetObject", key)
        expected = response.get("Metadata", {}).get("sha256")
        if expected and (await _hashed(data))[0].hex() != expected:
            # A torn or corrupted read: not ObjectNotFound, and worth another try.
            raise StorageError(f"storage object {key!r} does not match its stored SHA-256")
        return data

    async def stat(self, key: str) -> StoredObject:
        name = self._object_key(key)
        client = await self._client()
        try:
            head = await client.head_object(Bucket=self.bucket, Key=name, ChecksumMode="ENABLED")
        except Exception as exc:
            self._fail(exc, "HeadObject", key)
        size = int(head["ContentLength"])
        content_type = (
            head.get("ContentType") or mimetypes.guess_type(key)[0] or "application/octet-stream"
        )
        ours = str(head.get("Metadata", {}).get("sha256", "")).lower()
        theirs = _hex_of_checksum(head.get("ChecksumSHA256"))
        if _SHA256_HEX.fullmatch(ours):
            if theirs is not None and theirs != ours:
                raise StorageError(
                    f"storage object {key!r}: its sha256 metadata disagrees with the checksum "
                    "the service computed"
                )
            return StoredObject(key, size, ours, content_type)
        if theirs is not None:
            return StoredObject(key, size, theirs, content_type)
        # Put there by something else (no metadata, no checksum): hash the bytes, as the
        # filesystem backend does for a file without its metadata.
        data = await self.get(key)
        return StoredObject(key, len(data), (await _hashed(data))[0].hex(), content_type)

    async def exists(self, key: str) -> bool:
        name = self._object_key(key)
        client = await self._client()
        try:
            await client.head_object(Bucket=self.bucket, Key=name)
        except Exception as exc:
            if isinstance(self._translate(exc, "HeadObject", key), ObjectNotFound):
                return False
            self._fail(exc, "HeadObject", key)
        return True

    async def delete(self, key: str) -> None:
        name = self._object_key(key)
        client = await self._client()
        try:
            # S3 answers 204 for a missing key too: deleting is idempotent, as the port says.
            await client.delete_object(Bucket=self.bucket, Key=name)
        except Exception as exc:
            self._fail(exc, "DeleteObject", key)

    async def presigned_url(self, key: str, expires_seconds: int) -> str | None:
        name = self._object_key(key)
        check_expiry(expires_seconds)
        client = await self._client()
        url: str = await client.generate_presigned_url(
            "get_object",
            Params={"Bucket": self.bucket, "Key": name},
            ExpiresIn=expires_seconds,
        )
        return url

    # --- errors ---------------------------------------------------------------------------

    def _fail(self, exc: Exception, operation: str, key: str) -> NoReturn:
        error = self._translate(exc, operation, key)
        log.warning(
            "storage.s3.failed",
            operation=operation,
            key=key,
            error=type(error).__name__,
            cause=type(exc).__name__,
        )
        raise error from exc

    def _translate(self, exc: Exception, operation: str, key: str) -> StorageError:
        where = f"S3 {operation} on bucket {self.bucket!r}"
        if isinstance(exc, ClientError):
            error = exc.response.get("Error", {})
            code = str(error.get("Code", ""))
            status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
            if code in _NOT_FOUND:
                return ObjectNotFound(key)
            if code == "NoSuchBucket":
                return StorageMisconfigured(
                    f"{where}: the bucket does not exist (SITEGEN_S3_BUCKET, "
                    "SITEGEN_S3_ENDPOINT_URL)"
                )
            if code in _BAD_CREDENTIALS:
                return StorageMisconfigured(
                    f"{where}: the credentials were refused ({code}); check {_CREDENTIALS}"
                )
            if code in _DENIED:
                return StorageMisconfigured(
                    f"{where}: access denied ({code}); the credentials in {_CREDENTIALS} "
                    "need read and write access to the bucket in SITEGEN_S3_BUCKET"
                )
            if code in _WRONG_PLACE:
                return StorageMisconfigured(
                    f"{where}: wrong region or endpoint ({code}); check SITEGEN_S3_REGION "
                    "and SITEGEN_S3_ENDPOINT_URL"
                )
            if code in _BUSY or status == 429 or status >= 500:
                return StorageUnavailable(f"{where}: the service is busy or failing ({code})")
            return StorageError(f"{where} failed ({code or status})")
        if isinstance(exc, (NoCredentialsError, PartialCredentialsError)):
            return StorageMisconfigured(f"{where}: no usable credentials; set {_CREDENTIALS}")
        if isinstance(exc, (BotoConnectionError, HTTPClientError, OSError, TimeoutError)):
            # Refused, reset, DNS, connect/read timeouts: the service is down or unreachable.
            return StorageUnavailable(f"{where}: cannot reach the service ({type(exc).__name__})")
        if isinstance(exc, BotoCoreError):
            return StorageError(f"{where} failed ({type(exc).__name__})")
        if isinstance(exc, StorageError):
            return exc
        return StorageError(f"{where} failed ({type(exc).__name__})")
