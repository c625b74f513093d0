"""The client's onboarding link: a signed, expiring token naming one project.

`{project id}.{expiry}.{signature}`, the signature an HMAC-SHA256 under a key derived (HKDF)
from the payload key, so there is no other key to keep: old payload keys still verify links
made before a rotation. Whoever holds the link may fill in that project's form until it
expires, and nothing else: it names no customer, and no other project can be reached with it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
import uuid
from dataclasses import dataclass

from sitegen.payload_codec import derived_key, payload_keys
from sitegen.settings import Settings

HKDF_INFO = b"sitegen onboarding link"


class LinkInvalid(Exception):
    """Not a link we made, or altered; the message never says why in detail."""


class LinkExpired(LinkInvalid):
    """A link we made, past its time."""


@dataclass(frozen=True)
class OnboardingLink:
    project_id: uuid.UUID
    expires_at: int  # unix seconds


def _key(payload_key: bytes) -> bytes:
    return derived_key(payload_key, HKDF_INFO)


def _sign(key: bytes, body: str) -> str:
    mac = hmac.new(key, body.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()


def make_token(settings: Settings, project_id: uuid.UUID, now: float | None = None) -> str:
    expires = int((now if now is not None else time.time()) + settings.onboarding_link_days * 86400)
    body = f"{project_id.hex}.{expires}"
    return f"{body}.{_sign(_key(payload_keys(settings).current), body)}"


def read_token(settings: Settings, token: str, now: float | None = None) -> OnboardingLink:
    parts = token.split(".")
    if len(parts) != 3 or len(token) > 200:
        raise LinkInvalid("this link is not valid")
    body, signature = f"{parts[0]}.{parts[1]}", parts[2]
    keys = payload_keys(settings)
    # Every key is tried (constant time each), so a link outlives a key rotation.
    valid = False
    for key in (keys.current, *keys.old.values()):
        valid |= hmac.compare_digest(_sign(_key(key), body), signature)
    if not valid:
        raise LinkInvalid("this link is not valid")
    try:
        link = OnboardingLink(uuid.UUID(hex=parts[0]), int(parts[1]))
    except ValueError:
        raise LinkInvalid("this link is not valid") from None
    if link.expires_at < (now if now is not None else time.time()):
        raise LinkExpired("this link has expired: ask the agency for a new one")
    return link


def onboarding_url(settings: Settings, token: str) -> str:
    """The portal's page for the link (the form in the browser); the API's own is
    `/api/v1/onboarding/{token}`."""
    return f"{settings.public_url.rstrip('/')}/portal/start/{token}"
