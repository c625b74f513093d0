"""Secrets in `integration_config` are Fernet tokens, under keys derived from the payload key.

One key to keep, back up and rotate: each Fernet key is HKDF-SHA256 of a payload key (the
current one first, then SITEGEN_PAYLOAD_OLD_KEYS), with its own `info`, so it is never the
payload key itself and a leak of one does not open the other's data. A value sealed under
an old key still opens while that key is among the old keys; `rotate` re-seals it under the
current one, after which the old key can go.

Messages name the row and the setting to check, never a value or a key.
"""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from sitegen.payload_codec import PayloadKeys, derived_key, payload_keys

if TYPE_CHECKING:
    from sitegen.settings import Settings

HKDF_INFO = b"sitegen integration_config"


class ConfigSecretError(Exception):
    """A stored secret the current keys cannot open."""


def derive_fernet_key(payload_key: bytes) -> bytes:
    """The Fernet key (url-safe base64 of 32 bytes) that belongs to one payload key."""
    return base64.urlsafe_b64encode(derived_key(payload_key, HKDF_INFO))


class ConfigCipher:
    def __init__(self, keys: PayloadKeys) -> None:
        self.key_id = keys.key_id
        self._source = keys.source
        raw = [keys.current, *(k for k in keys.old.values() if k != keys.current)]
        self._fernet = MultiFernet([Fernet(derive_fernet_key(k)) for k in raw])

    @classmethod
    def from_settings(cls, settings: Settings) -> ConfigCipher:
        return cls(payload_keys(settings))

    def __repr__(self) -> str:  # keys stay out of any log line that prints the cipher
        return f"ConfigCipher(key_id={self.key_id!r})"

    def encrypt(self, value: str) -> str:
        return self._fernet.encrypt(value.encode("utf-8")).decode("ascii")

    def decrypt(self, token: str, integration_type: str, config_key: str) -> str:
        try:
            return self._fernet.decrypt(token.encode("ascii")).decode("utf-8")
        except (InvalidToken, UnicodeError):
            raise self._unreadable(integration_type, config_key) from None

    def rotate(self, token: str, integration_type: str, config_key: str) -> str:
        """The same value sealed under the current key (a no-op for the reader)."""
        try:
            return self._fernet.rotate(token.encode("ascii")).decode("ascii")
        except (InvalidToken, UnicodeError):
            raise self._unreadable(integration_type, config_key) from None

    def _unreadable(self, integration_type: str, config_key: str) -> ConfigSecretError:
        return ConfigSecretError(
            f"integration_config {integration_type}.{config_key}: the stored secret cannot "
            f"be decrypted with the current payload key ({self._source}, id "
            f"{self.key_id!r}) or SITEGEN_PAYLOAD_OLD_KEYS; put the key it was stored under "
            f"back in SITEGEN_PAYLOAD_OLD_KEYS, or set the value again "
            f"(`sitegen integrations set {integration_type} {config_key} -`)"
        )
