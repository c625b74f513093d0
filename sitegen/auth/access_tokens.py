"""Short-lived access tokens: JWTs signed with HS256 under a key derived from the payload key
(one key to keep and rotate; tokens signed before a rotation verify until they expire)."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass

import jwt

from sitegen.payload_codec import derived_key, payload_keys
from sitegen.settings import Settings

HKDF_INFO = b"sitegen access token"
ISSUER = "sitegen"


class TokenInvalid(Exception):
    """Expired, altered, or not ours; callers never learn which."""


@dataclass(frozen=True)
class AccessClaims:
    user_id: uuid.UUID
    role: str
    customer_id: uuid.UUID | None
    expires_at: int


def issue(
    settings: Settings,
    user_id: uuid.UUID,
    role: str,
    customer_id: uuid.UUID | None,
    now: float | None = None,
) -> tuple[str, int]:
    """The token and its lifetime in seconds."""
    keys = payload_keys(settings)
    issued = int(now if now is not None else time.time())
    lifetime = settings.access_token_minutes * 60
    claims = {
        "iss": ISSUER,
        "sub": str(user_id),
        "role": role,
        "cid": str(customer_id) if customer_id else None,
        "iat": issued,
        "exp": issued + lifetime,
    }
    key = derived_key(keys.current, HKDF_INFO)
    token = jwt.encode(claims, key, algorithm="HS256", headers={"kid": keys.key_id})
    return token, lifetime


def verify(settings: Settings, token: str) -> AccessClaims:
    keys = payload_keys(settings)
    try:
        kid = jwt.get_unverified_header(token).get("kid")
        raw = keys.current if kid == keys.key_id else keys.old.get(str(kid))
        if raw is None:
            raise TokenInvalid("not a token we signed")
        claims = jwt.decode(
            token,
            derived_key(raw, HKDF_INFO),
            algorithms=["HS256"],  # never from the token: "none" and key confusion stay out
            issuer=ISSUER,
            options={"require": ["exp", "iat", "sub", "iss"]},
        )
        customer = claims.get("cid")
        return AccessClaims(
            user_id=uuid.UUID(claims["sub"]),
            role=str(claims["role"]),
            customer_id=uuid.UUID(customer) if customer else None,
            expires_at=int(claims["exp"]),
        )
    except (jwt.PyJWTError, KeyError, ValueError, TypeError) as exc:
        raise TokenInvalid("the access token is not valid") from exc
