"""Short-lived access tokens: JWTs signed with HS256 under a key derived from the payload key.

Verified with the current key only: old payload keys stay around for months to read old
histories, and a key rotated out (perhaps because it leaked) must not sign anything new. A
rotation signs everyone out of their access tokens, and their refresh tokens (kept in
Postgres, not signed) bring new ones."""

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
        if jwt.get_unverified_header(token).get("kid") != keys.key_id:
            raise TokenInvalid("not signed with the current key")
        claims = jwt.decode(
            token,
            derived_key(keys.current, HKDF_INFO),
            algorithms=["HS256"],  # never from the token: "none" and key confusion stay out
            issuer=ISSUER,
            options={"require": ["exp", "iat", "sub", "iss"]},
        )
        # However it was signed, no token lives longer than a token is issued for, or was
        # issued in the future (a minute's leeway for clocks).
        lifetime = int(claims["exp"]) - int(claims["iat"])
        if lifetime > settings.access_token_minutes * 60 or claims["iat"] > time.time() + 60:
            raise TokenInvalid("the token's times are not ours")
        customer = claims.get("cid")
        return AccessClaims(
            user_id=uuid.UUID(claims["sub"]),
            role=str(claims["role"]),
            customer_id=uuid.UUID(customer) if customer else None,
            expires_at=int(claims["exp"]),
        )
    except (jwt.PyJWTError, KeyError, ValueError, TypeError) as exc:
        raise TokenInvalid("the access token is not valid") from exc
