"""Opaque secrets handed to callers: refresh tokens and API keys.

Both carry 256 random bits, so they are stored as a SHA-256 hash (a slow hash adds nothing to
a secret nobody can guess) and compared in constant time. An API key reads
`sgk_{prefix}_{secret}`: the prefix finds the row and is safe to show in lists and logs."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import uuid
from dataclasses import dataclass

API_KEY_PREFIX = "sgk_"
REFRESH_PREFIX = "sgr_"
_API_KEY = re.compile(r"sgk_([a-z0-9]{12})_([A-Za-z0-9_-]{43})")
_REFRESH = re.compile(r"sgr_([0-9a-f]{32})_([A-Za-z0-9_-]{43})")


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def same_secret(stored_hash: str, secret: str) -> bool:
    return hmac.compare_digest(stored_hash, secret_hash(secret))


@dataclass(frozen=True)
class ApiKeyParts:
    prefix: str
    secret: str

    @property
    def full(self) -> str:
        return f"{API_KEY_PREFIX}{self.prefix}_{self.secret}"


def new_api_key() -> ApiKeyParts:
    alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
    prefix = "".join(secrets.choice(alphabet) for _ in range(12))
    return ApiKeyParts(prefix, secrets.token_urlsafe(32))


def read_api_key(text: str) -> ApiKeyParts | None:
    found = _API_KEY.fullmatch(text)
    return ApiKeyParts(found[1], found[2]) if found else None


@dataclass(frozen=True)
class RefreshParts:
    token_id: uuid.UUID
    secret: str

    @property
    def full(self) -> str:
        return f"{REFRESH_PREFIX}{self.token_id.hex}_{self.secret}"


def new_refresh_token() -> RefreshParts:
    return RefreshParts(uuid.uuid4(), secrets.token_urlsafe(32))


def read_refresh_token(text: str) -> RefreshParts | None:
    found = _REFRESH.fullmatch(text)
    return RefreshParts(uuid.UUID(hex=found[1]), found[2]) if found else None
