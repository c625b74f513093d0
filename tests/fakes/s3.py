"""A real S3 server for tests: moto's ThreadedMotoServer on a free port, spoken to by the
real SDK over HTTP (never a patched client).

Around moto's app sits a thin WSGI layer for what moto does not do: it refuses presigned
URLs past their expiry (as S3 does: 403 AccessDenied "Request has expired"), against a
clock the test can move forward, and it answers the next requests with an injected
error (503 SlowDown, 500 InternalError) on demand.

moto keeps its state per process, so every server started here shares buckets; tests
take a fresh bucket each (`s3_bucket`). Signatures are only checked inside
`require_signatures()`, since moto's signature check does not cover presigned URLs.

Test modules load the fixtures with ``pytest_plugins = ["tests.fakes.s3"]``.
"""

from __future__ import annotations

import contextlib
import json
import threading
import uuid
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs

import boto3
import httpx
import pytest
from moto.server import ThreadedMotoServer
from pydantic import SecretStr

from sitegen.integrations.storage.s3 import S3Storage

REGION = "us-east-1"
# What the admin client signs with while signatures are not checked.
_ADMIN_KEY = ("testing", "testing")
_REASONS = {403: "Forbidden", 500: "Internal Server Error", 503: "Service Unavailable"}

StartResponse = Callable[..., Any]


def _error(start_response: StartResponse, status: int, code: str, message: str) -> list[bytes]:
    body = (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code>'
        f"<Message>{message}</Message><RequestId>fake</RequestId></Error>"
    ).encode()
    headers = [("Content-Type", "application/xml"), ("Content-Length", str(len(body)))]
    start_response(f"{status} {_REASONS.get(status, 'Error')}", headers)
    return [body]


@dataclass
class _Gate:
    """The WSGI layer in front of moto."""

    app: Callable[[dict[str, Any], StartResponse], Iterable[bytes]]
    skew: timedelta = timedelta(0)
    faults: list[tuple[int, str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    # (method, path, headers) of recent requests: moto does not check Content-MD5 or
    # x-amz-checksum-sha256, so tests check that the SDK sent them right.
    seen: deque[tuple[str, str, dict[str, str]]] = field(default_factory=lambda: deque(maxlen=64))

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = str(environ.get("PATH_INFO", ""))
        if path.startswith("/moto-api"):
            return self.app(environ, start_response)
        headers = {
            k[5:].replace("_", "-").lower(): str(v)
            for k, v in environ.items()
            if k.startswith("HTTP_")
        }
        if "CONTENT_TYPE" in environ:
            headers["content-type"] = str(environ["CONTENT_TYPE"])
        self.seen.append((str(environ.get("REQUEST_METHOD")), path, headers))
        with self.lock:
            fault = self.faults.pop(0) if self.faults else None
        if fault is not None:
            return _error(start_response, fault[0], fault[1], "injected by the test")
        query = parse_qs(str(environ.get("QUERY_STRING", "")))
        if "X-Amz-Expires" in query and "X-Amz-Date" in query:
            signed = datetime.strptime(query["X-Amz-Date"][0], "%Y%m%dT%H%M%SZ")
            expires = signed.replace(tzinfo=UTC) + timedelta(seconds=int(query["X-Amz-Expires"][0]))
            if datetime.now(UTC) + self.skew > expires:
                return _error(start_response, 403, "AccessDenied", "Request has expired")
        return self.app(environ, start_response)


@dataclass
class S3Fake:
    server: ThreadedMotoServer
    endpoint_url: str
    access_key_id: str
    secret_access_key: str
    gate: _Gate

    def admin(self) -> Any:
        """A plain boto3 client for setting up and inspecting (buckets, listings)."""
        return boto3.client(
            "s3",
            endpoint_url=self.endpoint_url,
            region_name=REGION,
            aws_access_key_id=self.access_key_id,
            aws_secret_access_key=self.secret_access_key,
        )

    def create_bucket(self) -> str:
        name = f"sitegen-test-{uuid.uuid4().hex[:12]}"
        self.admin().create_bucket(Bucket=name)
        return name

    def keys(self, bucket: str, prefix: str = "") -> list[str]:
        pages = self.admin().get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
        return [obj["Key"] for page in pages for obj in page.get("Contents", [])]

    def settings(self, bucket: str, **overrides: Any) -> dict[str, Any]:
        """Settings fields that point storage_provider="s3" at this server."""
        values: dict[str, Any] = {
            "storage_provider": "s3",
            "s3_endpoint_url": self.endpoint_url,
            "s3_region": REGION,
            "s3_bucket": bucket,
            "s3_access_key_id": self.access_key_id,
            "s3_secret_access_key": SecretStr(self.secret_access_key),
            "s3_addressing_style": "path",  # 127.0.0.1 has no bucket subdomains
            "s3_timeout_seconds": 5,
        }
        values.update(overrides)
        return values

    def storage(self, bucket: str, **overrides: Any) -> S3Storage:
        kwargs: dict[str, Any] = {
            "bucket": bucket,
            "access_key_id": self.access_key_id,
            "secret_access_key": SecretStr(self.secret_access_key),
            "endpoint_url": self.endpoint_url,
            "region": REGION,
            "addressing_style": "path",
            "timeout_seconds": 5,
            "max_attempts": 1,  # the tests see each failure, not the SDK's retries of it
        }
        kwargs.update(overrides)
        return S3Storage(**kwargs)

    def last_request(self, method: str, path: str) -> dict[str, str]:
        """The headers of the latest `method` request to `path` ("/bucket/key")."""
        for seen_method, seen_path, headers in reversed(self.gate.seen):
            if (seen_method, seen_path) == (method, path):
                return headers
        raise AssertionError(f"no {method} {path} reached the server")

    def fail_next(self, status: int, code: str, times: int = 1) -> None:
        with self.gate.lock:
            self.gate.faults.extend([(status, code)] * times)

    def advance_clock(self, seconds: float) -> None:
        """Presigned URLs are judged this much later than now."""
        self.gate.skew += timedelta(seconds=seconds)

    def _reset_auth(self, count: str) -> None:
        httpx.post(f"{self.endpoint_url}/moto-api/reset-auth", content=count.encode())

    @contextlib.contextmanager
    def require_signatures(self) -> Iterator[None]:
        """Inside: every request must be signed by a known key with the right secret."""
        self._reset_auth("0")
        try:
            yield
        finally:
            self._reset_auth("inf")

    def stop(self) -> None:
        """Stop serving and close the listening socket, so connections are refused (a
        stopped server), not left waiting in the backlog (a frozen one). Idempotent."""
        wsgi, self.server._server = self.server._server, None
        if wsgi is not None:
            wsgi.shutdown()
            wsgi.server_close()


def start_s3_fake() -> S3Fake:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    wsgi = server._server
    assert wsgi is not None
    gate = _Gate(wsgi.app)
    wsgi.app = gate  # werkzeug reads server.app on every request
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    # A real IAM user with S3 rights, so that require_signatures() accepts our requests and
    # refuses a wrong key or secret the way S3 does.
    iam = boto3.client(
        "iam",
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id=_ADMIN_KEY[0],
        aws_secret_access_key=_ADMIN_KEY[1],
    )
    user = f"sitegen-{uuid.uuid4().hex[:8]}"
    iam.create_user(UserName=user)
    policy = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}],
    }
    iam.put_user_policy(UserName=user, PolicyName="s3", PolicyDocument=json.dumps(policy))
    key = iam.create_access_key(UserName=user)["AccessKey"]
    return S3Fake(server, endpoint, key["AccessKeyId"], key["SecretAccessKey"], gate)


@pytest.fixture(scope="session")
def s3_server() -> Iterator[S3Fake]:
    fake = start_s3_fake()
    try:
        yield fake
    finally:
        fake.stop()


@pytest.fixture
def s3(s3_server: S3Fake) -> Iterator[S3Fake]:
    """The session's server, with no injected faults and the real clock."""
    s3_server.gate.faults.clear()
    s3_server.gate.seen.clear()
    s3_server.gate.skew = timedelta(0)
    yield s3_server
    s3_server.gate.faults.clear()
    s3_server.gate.skew = timedelta(0)


@pytest.fixture
def s3_bucket(s3: S3Fake) -> str:
    return s3.create_bucket()


@pytest.fixture
def s3_own_server() -> Iterator[S3Fake]:
    """A server of this test's own, which the test may stop (same buckets: moto's state
    is per process)."""
    fake = start_s3_fake()
    try:
        yield fake
    finally:
        fake.stop()
