"""Agency webhooks: a JSON POST signed with HMAC-SHA256.

`X-Sitegen-Signature: t=<unix seconds>,v1=<hex>` where v1 = HMAC-SHA256(secret, f"{t}.{body}")
over the exact body bytes; a receiver recomputes it and compares in constant time, and
rejects old timestamps (replays). `X-Sitegen-Delivery` is the same on every resend of one
notification, so the receiver can drop duplicates.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time

import httpx

from sitegen.integrations.notify.base import DeliveryFailed, Envelope

SIGNATURE_HEADER = "X-Sitegen-Signature"
DELIVERY_HEADER = "X-Sitegen-Delivery"
# Retried even though they are 4xx: the receiver timed out or asks us to slow down.
RETRYABLE_4XX = {408, 429}


def sign(secret: bytes, timestamp: int, body: bytes) -> str:
    digest = hmac.new(secret, f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def verify(secret: bytes, header: str, body: bytes, tolerance: float = 300) -> bool:
    """What a receiver does (the agency's side, in Python)."""
    try:
        parts = dict(item.split("=", 1) for item in header.split(","))
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs(time.time() - timestamp) > tolerance:
        return False
    return hmac.compare_digest(sign(secret, timestamp, body), header)


class Webhook:
    name = "webhook"

    def __init__(self, url: str, secret: bytes, http: httpx.AsyncClient, timeout: float) -> None:
        self.url = url
        self.secret = secret
        self.http = http
        self.timeout = timeout

    async def send(self, envelope: Envelope) -> str:
        body = json.dumps(
            {"id": envelope.delivery_id, **envelope.event}, separators=(",", ":"), sort_keys=True
        ).encode()
        headers = {
            "Content-Type": "application/json",
            SIGNATURE_HEADER: sign(self.secret, int(time.time()), body),
            DELIVERY_HEADER: envelope.delivery_id,
            "X-Sitegen-Event": envelope.kind,
        }
        try:
            response = await self.http.post(
                self.url, content=body, headers=headers, timeout=self.timeout
            )
        except httpx.HTTPError as exc:
            raise DeliveryFailed(f"{type(exc).__name__}: the webhook did not answer") from exc
        status = response.status_code
        if 200 <= status < 300:
            # The host only: a webhook's path or query often carries a token.
            url = httpx.URL(self.url)
            return f"{url.scheme}://{url.netloc.decode()}"
        permanent = 400 <= status < 500 and status not in RETRYABLE_4XX
        raise DeliveryFailed(f"the webhook answered {status}", permanent=permanent)
