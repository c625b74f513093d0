"""What a failed Cloudflare call means for the workflow: wait and retry, or stop and fix a setting.

Both errors are ``ApplicationError`` subclasses (as well as ``HostingError``), so an activity's
``classify`` passes them to Temporal unchanged: the SDK is built with ``max_retries=0`` and
Temporal owns the retries, honouring Cloudflare's ``retry-after`` through ``next_retry_delay``.

Messages name the setting to fix and Cloudflare's own error codes and messages; they never hold
the API token or an upload JWT (SDK exceptions are not chained: their request carries both).
"""

from __future__ import annotations

import datetime
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import cloudflare
from temporalio.exceptions import ApplicationError

from sitegen.integrations.hosting.base import HostingError

T = TypeVar("T")

TOKEN_SETTING = "SITEGEN_CLOUDFLARE_API_TOKEN"
ACCOUNT_SETTING = "SITEGEN_CLOUDFLARE_ACCOUNT_ID"
ZONE_SETTING = "SITEGEN_CLOUDFLARE_ZONE_ID"
# Cloudflare answers an account or zone id it cannot route with these codes (on a 403 or 404).
ROUTING_CODES = frozenset({7000, 7003, 1001})
_MAX_RETRY_AFTER = datetime.timedelta(minutes=10)


class CloudflareUnavailable(HostingError, ApplicationError):
    """Retryable: 429, 5xx, a timeout or a dropped connection."""

    def __init__(self, message: str, retry_after: datetime.timedelta | None = None) -> None:
        super().__init__(
            message, type="CloudflareUnavailable", non_retryable=False, next_retry_delay=retry_after
        )
        self.retry_after = retry_after


class CloudflareRejected(HostingError, ApplicationError):
    """Not retryable: a bad token, an unknown account or zone, a request Cloudflare refuses."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message, type="CloudflareRejected", non_retryable=True)
        self.status = status


def error_codes(error: cloudflare.APIStatusError) -> list[int]:
    body = error.body if isinstance(error.body, dict) else {}
    errors = body.get("errors") or []
    return [e["code"] for e in errors if isinstance(e, dict) and isinstance(e.get("code"), int)]


def _describe(error: cloudflare.APIStatusError) -> str:
    body = error.body if isinstance(error.body, dict) else {}
    parts = [
        f"{e.get('code')}: {str(e.get('message'))[:200]}"
        for e in (body.get("errors") or [])[:3]
        if isinstance(e, dict)
    ]
    return f"HTTP {error.status_code}" + (f" ({'; '.join(parts)})" if parts else "")


def _retry_after(error: cloudflare.APIStatusError) -> datetime.timedelta | None:
    raw = error.response.headers.get("retry-after")
    try:
        seconds = float(raw) if raw is not None else None
    except ValueError:  # an HTTP date: let Temporal's own backoff decide
        return None
    if seconds is None or seconds < 0:
        return None
    return min(datetime.timedelta(seconds=seconds), _MAX_RETRY_AFTER)


def translate(error: cloudflare.CloudflareError, what: str, scope_setting: str) -> HostingError:
    """The error to raise for a failed call; ``scope_setting`` names the id the call used."""
    if isinstance(error, cloudflare.APIConnectionError):  # includes timeouts
        return CloudflareUnavailable(f"Cloudflare {what}: no answer ({type(error).__name__})")
    if not isinstance(error, cloudflare.APIStatusError):
        return CloudflareRejected(f"Cloudflare {what}: unexpected answer ({type(error).__name__})")
    status = error.status_code
    detail = _describe(error)
    if status == 429 or status >= 500:
        return CloudflareUnavailable(f"Cloudflare {what}: {detail}", _retry_after(error))
    if set(error_codes(error)) & ROUTING_CODES or (status == 404 and scope_setting):
        return CloudflareRejected(
            f"Cloudflare {what}: {detail}; check {scope_setting} (and that "
            f"{TOKEN_SETTING} may use it)",
            status,
        )
    if status in (401, 403):
        return CloudflareRejected(
            f"Cloudflare {what}: {detail}; check {TOKEN_SETTING} (Pages: Edit and DNS: Edit "
            "permissions for this account and zone)",
            status,
        )
    return CloudflareRejected(f"Cloudflare {what}: {detail}", status)


async def call(
    what: str,
    scope_setting: str,
    fn: Callable[..., Awaitable[T]],
    *args: Any,
    **kwargs: Any,
) -> T:
    """Await one SDK call, translating its failure (never chained: see the module docstring)."""
    try:
        return await fn(*args, **kwargs)
    except cloudflare.CloudflareError as error:
        translated = translate(error, what, scope_setting)
    raise translated
