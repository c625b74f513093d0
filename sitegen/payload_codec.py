"""Every payload that crosses Temporal is encrypted, so the onboarding form (names, phones,
emails, addresses) and revision messages are never in clear in a history on the server.

Each payload's whole serialized proto is sealed with AES-256-GCM, so its metadata (its
`encoding`, a message type) is hidden too. The result carries two metadata entries:
`encoding: binary/encrypted` and `encryption-key-id: <id>`; its data is the 12-byte random
nonce followed by the ciphertext and tag. Decoding picks the key by that id, so keys rotate:
new payloads use the current key, old ones decode with a key kept in the old keys. Anything
not encrypted passes through, so histories recorded before encryption still replay.

Key material never leaves this module in a message: errors name a key id or a setting, never
a key or a plaintext.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import structlog
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from google.protobuf.message import DecodeError
from pydantic import SecretStr
from temporalio.api.common.v1 import Payload
from temporalio.converter import PayloadCodec

if TYPE_CHECKING:
    from sitegen.settings import Settings

log = structlog.get_logger()

ENCODING = b"binary/encrypted"
KEY_ID_METADATA = "encryption-key-id"
KEY_BYTES = 32  # AES-256
NONCE_BYTES = 12  # the GCM standard; random per payload, so one key can seal ~2**32 safely
# Binds the ciphertext to its key id and to this format: a payload whose key-id metadata was
# swapped, or a blob sealed by another program with the same key, fails to authenticate.
_AAD_PREFIX = b"sitegen/payload/v1:"
_KEY_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
LOCAL_KEY_PATH = Path("secrets") / "payload.key"
_LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}


class PayloadKeyError(Exception):
    """A payload key setting is missing or malformed. The message names the setting, never
    the value. Deliberately not a ValueError: pydantic would wrap that and print the raw
    input (the key itself) in the validation error."""


class PayloadDecodeError(Exception):
    """An encrypted payload that cannot be opened: unknown key id, tampered or truncated."""


def parse_key(value: str, setting: str) -> bytes:
    """A base64 key (standard or url-safe, padding optional) -> its 32 raw bytes."""
    text = value.strip().rstrip("=").replace("-", "+").replace("_", "/")
    try:
        raw = base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise PayloadKeyError(
            f"{setting} is not base64 (standard or url-safe); generate a key with "
            "`python -c 'import base64, os; print(base64.urlsafe_b64encode(os.urandom(32)).decode())'`"
        ) from None
    if len(raw) != KEY_BYTES:
        raise PayloadKeyError(
            f"{setting} must be {KEY_BYTES} bytes (AES-256) once base64-decoded; it is {len(raw)}"
        )
    return raw


def check_key_id(value: str, setting: str) -> str:
    if not _KEY_ID.fullmatch(value):
        raise PayloadKeyError(f"{setting} must be 1-64 letters, digits, '.', '_' or '-'")
    return value


def new_key() -> str:
    """A fresh random key, url-safe base64 (what SITEGEN_PAYLOAD_KEY expects)."""
    return base64.urlsafe_b64encode(os.urandom(KEY_BYTES)).decode("ascii")


def _aad(key_id: str) -> bytes:
    return _AAD_PREFIX + key_id.encode("ascii")


class EncryptionCodec(PayloadCodec):
    """AES-256-GCM over each whole payload; decodes with the current key or an old one."""

    def __init__(
        self, key_id: str, key: bytes, old_keys: Mapping[str, bytes] | None = None
    ) -> None:
        super().__init__()
        self.key_id = check_key_id(key_id, "the key id")
        self._ciphers: dict[str, AESGCM] = {}
        for old_id, old_key in (old_keys or {}).items():
            self._ciphers[check_key_id(old_id, "an old key id")] = _cipher(old_key)
        if key_id in self._ciphers and old_keys and old_keys[key_id] != key:
            raise PayloadKeyError(
                f"key id {key_id!r} names both the current key and a different old key; "
                "a key id must always name the same key"
            )
        self._ciphers[key_id] = _cipher(key)

    @property
    def key_ids(self) -> list[str]:
        return sorted(self._ciphers)

    def __repr__(self) -> str:  # keys stay out of any log line that prints the codec
        return f"EncryptionCodec(key_id={self.key_id!r}, key_ids={self.key_ids!r})"

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        cipher = self._ciphers[self.key_id]
        aad = _aad(self.key_id)
        out = []
        for payload in payloads:
            nonce = os.urandom(NONCE_BYTES)
            sealed = cipher.encrypt(nonce, payload.SerializeToString(), aad)
            out.append(
                Payload(
                    metadata={"encoding": ENCODING, KEY_ID_METADATA: self.key_id.encode()},
                    data=nonce + sealed,
                )
            )
        return out

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self.open(payload) for payload in payloads]

    def open(self, payload: Payload) -> Payload:
        """One payload decrypted; anything not encrypted by this codec comes back as is."""
        if payload.metadata.get("encoding") != ENCODING:
            return payload
        raw_id = payload.metadata.get(KEY_ID_METADATA)
        if raw_id is None:
            raise PayloadDecodeError(f"encrypted payload without {KEY_ID_METADATA} metadata")
        key_id = raw_id.decode("utf-8", "replace")[:64]
        cipher = self._ciphers.get(key_id)
        if cipher is None:
            raise PayloadDecodeError(
                f"payload encrypted with unknown key id {key_id!r} (known: "
                f"{', '.join(self.key_ids)}); add that key to SITEGEN_PAYLOAD_OLD_KEYS"
            )
        data = payload.data
        if len(data) < NONCE_BYTES + 16:
            raise PayloadDecodeError(f"payload encrypted with key {key_id!r} is truncated")
        try:
            plain = cipher.decrypt(data[:NONCE_BYTES], data[NONCE_BYTES:], _aad(key_id))
        except InvalidTag:
            raise PayloadDecodeError(
                f"payload encrypted with key {key_id!r} failed authentication: tampered, "
                "or sealed with a different key under the same id"
            ) from None
        try:
            return Payload.FromString(plain)
        except DecodeError:
            raise PayloadDecodeError(
                f"payload encrypted with key {key_id!r} holds no payload"
            ) from None


def _cipher(key: bytes) -> AESGCM:
    if len(key) != KEY_BYTES:
        raise PayloadKeyError(f"a payload key must be {KEY_BYTES} bytes; one is {len(key)}")
    return AESGCM(key)


def load_or_create_local_key(data_dir: Path) -> SecretStr:
    """The laptop's payload key, `{data_dir}/secrets/payload.key`, made once (mode 0600).

    For a machine with no accounts: the worker, the API and the CLI of one data dir all
    read this file, so they agree. Creation is atomic and
    never replaces a key: two processes racing both end up with the first one written (a
    replaced key would make every payload sealed with the other unreadable).
    """
    path = data_dir / LOCAL_KEY_PATH
    if path.exists():
        return _read_local_key(path)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.fchmod(fd, 0o600)  # whatever the umask says
        os.write(fd, (new_key() + "\n").encode("ascii"))
        os.fsync(fd)
        os.close(fd)
        try:
            os.link(tmp, path)  # atomic, and fails if the key already exists
            log.info("payload_key.created", path=str(path))
        except FileExistsError:
            pass  # another process made it first: use theirs
    finally:
        tmp.unlink(missing_ok=True)
    return _read_local_key(path)


def _read_local_key(path: Path) -> SecretStr:
    if path.stat().st_mode & 0o077:
        # Readable by others: a leaked key decrypts every history. Tighten it if we can.
        try:
            path.chmod(0o600)
        except OSError:
            log.warning("payload_key.file_too_open", path=str(path))
    value = path.read_text(encoding="ascii", errors="replace").strip()
    parse_key(value, f"the payload key file {path}")
    return SecretStr(value)


def temporal_is_local(settings: Settings) -> bool:
    if settings.temporal_address is None:
        return True  # the dev server this machine starts
    host = settings.temporal_address.rsplit(":", 1)[0]
    return host in _LOOPBACK_HOSTS


@dataclass(frozen=True)
class PayloadKeys:
    """The payload keys as settings give them: the current one first, then the old ones.

    `source` names where the current key came from (a setting or the laptop's key file), so
    an error can say what to check without ever holding a key."""

    key_id: str
    current: bytes = field(repr=False)
    old: dict[str, bytes] = field(repr=False)
    source: str


def derived_key(payload_key: bytes, purpose: bytes) -> bytes:
    """A key for another purpose (stored secrets, signed links), derived from a payload key
    with HKDF-SHA256, so there is one key to keep and rotate, and each use has its own."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(payload_key)


def payload_keys(settings: Settings) -> PayloadKeys:
    """The keys every process resolves the same way. Without SITEGEN_PAYLOAD_KEY, a laptop's
    Temporal uses the local key file; a shared server refuses, since each machine would
    invent a key of its own."""
    key = settings.payload_key
    source = "SITEGEN_PAYLOAD_KEY"
    if key is None:
        if not temporal_is_local(settings):
            raise PayloadKeyError(
                "SITEGEN_PAYLOAD_KEY is not set, and Temporal at "
                f"{settings.temporal_address} is not on this machine: every worker, API and "
                "client of that server needs the same key (32 bytes, base64)"
            )
        key = load_or_create_local_key(settings.data_path)
        source = f"the payload key file {settings.data_path / LOCAL_KEY_PATH}"
    old = {
        key_id: parse_key(value.get_secret_value(), f"SITEGEN_PAYLOAD_OLD_KEYS[{key_id!r}]")
        for key_id, value in settings.payload_old_keys.items()
    }
    current = parse_key(key.get_secret_value(), "SITEGEN_PAYLOAD_KEY")
    return PayloadKeys(settings.payload_key_id, current, old, source)


def codec_from_settings(settings: Settings) -> EncryptionCodec:
    """The codec every process builds the same way: the current key and id, and the old
    keys (decode only)."""
    keys = payload_keys(settings)
    return EncryptionCodec(keys.key_id, keys.current, keys.old)
