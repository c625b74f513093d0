"""The payload codec: AES-GCM over each whole payload, key rotation, plaintext pass-through,
key settings that fail clearly (never echoing a key), the laptop's key file, and the codec
endpoint the Temporal UI calls."""

from __future__ import annotations

import base64
import os
import re
import stat
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import BaseModel
from temporalio.api.common.v1 import Payload
from temporalio.api.failure.v1 import Failure
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.exceptions import ApplicationError

from sitegen.payload_codec import (
    ENCODING,
    KEY_ID_METADATA,
    EncryptionCodec,
    PayloadDecodeError,
    PayloadKeyError,
    codec_from_settings,
    load_or_create_local_key,
)
from sitegen.settings import Settings
from sitegen.temporal_client import data_converter

KEY_1 = bytes(range(32))
KEY_2 = bytes(range(100, 132))
SECRET_TEXT = "Ana Souza, +44 117 496 0321, ana@example.com, 14 Narrow Quay"
UI = "http://localhost:8233"


def b64(raw: bytes, urlsafe: bool = False) -> str:
    return (base64.urlsafe_b64encode if urlsafe else base64.b64encode)(raw).decode()


def plain(value: Any) -> Payload:
    return pydantic_data_converter.payload_converter.to_payloads([value])[0]


async def test_round_trip_hides_data_and_metadata() -> None:
    codec = EncryptionCodec("k1", KEY_1)
    original = plain({"contact": SECRET_TEXT})
    [sealed] = await codec.encode([original])
    assert sealed.metadata["encoding"] == ENCODING
    assert sealed.metadata[KEY_ID_METADATA] == b"k1"
    assert set(sealed.metadata) == {"encoding", KEY_ID_METADATA}
    raw = sealed.SerializeToString()
    assert SECRET_TEXT.encode() not in raw and b"json/plain" not in raw
    assert await codec.decode([sealed]) == [original]
    # A fresh nonce each time: the same payload never seals to the same bytes.
    [again] = await codec.encode([original])
    assert again.data != sealed.data


async def test_tampered_ciphertext_fails() -> None:
    codec = EncryptionCodec("k1", KEY_1)
    [sealed] = await codec.encode([plain(SECRET_TEXT)])
    data = bytearray(sealed.data)
    data[20] ^= 0x01
    tampered = Payload(metadata=dict(sealed.metadata), data=bytes(data))
    with pytest.raises(PayloadDecodeError, match="'k1' failed authentication"):
        await codec.decode([tampered])
    truncated = Payload(metadata=dict(sealed.metadata), data=sealed.data[:10])
    with pytest.raises(PayloadDecodeError, match="truncated"):
        await codec.decode([truncated])


async def test_relabelled_key_id_fails() -> None:
    # The key id is authenticated: a payload cannot be passed off as sealed by another key.
    codec = EncryptionCodec("k2", KEY_2, {"k1": KEY_2})
    [sealed] = await codec.encode([plain(SECRET_TEXT)])
    relabelled = Payload(metadata={**sealed.metadata, KEY_ID_METADATA: b"k1"}, data=sealed.data)
    with pytest.raises(PayloadDecodeError, match="failed authentication"):
        await codec.decode([relabelled])


async def test_unknown_key_id_is_named() -> None:
    [sealed] = await EncryptionCodec("k0", KEY_1).encode([plain(SECRET_TEXT)])
    with pytest.raises(PayloadDecodeError, match="unknown key id 'k0'") as caught:
        await EncryptionCodec("k1", KEY_2).decode([sealed])
    assert "SITEGEN_PAYLOAD_OLD_KEYS" in str(caught.value)


async def test_plain_payload_passes_through() -> None:
    # Histories recorded before encryption must still decode and replay.
    original = plain({"contact": SECRET_TEXT})
    assert await EncryptionCodec("k1", KEY_1).decode([original]) == [original]


async def test_rotation_old_key_still_decodes() -> None:
    before = Settings(payload_key=b64(KEY_1), payload_key_id="k1")
    [old] = await codec_from_settings(before).encode([plain(SECRET_TEXT)])
    after = Settings(
        payload_key=b64(KEY_2), payload_key_id="k2", payload_old_keys={"k1": b64(KEY_1)}
    )
    codec = codec_from_settings(after)
    [new] = await codec.encode([plain(SECRET_TEXT)])
    assert new.metadata[KEY_ID_METADATA] == b"k2"  # new payloads use the current key
    assert await codec.decode([old, new]) == [plain(SECRET_TEXT)] * 2
    with pytest.raises(PayloadDecodeError, match="unknown key id 'k2'"):
        await codec_from_settings(before).decode([new])


async def test_keys_read_standard_and_url_safe_base64(monkeypatch: pytest.MonkeyPatch) -> None:
    key = bytes([0xFB, 0xFF] * 16)
    standard, urlsafe = b64(key), b64(key, urlsafe=True).rstrip("=")
    assert "/" in standard and "_" in urlsafe  # the two alphabets really differ
    [sealed] = await codec_from_settings(Settings(payload_key=standard)).encode([plain("x")])
    assert await codec_from_settings(Settings(payload_key=urlsafe)).decode([sealed]) == [plain("x")]
    # Old keys come from the environment as one JSON object.
    monkeypatch.setenv("SITEGEN_PAYLOAD_OLD_KEYS", f'{{"k0": "{b64(KEY_1, urlsafe=True)}"}}')
    assert codec_from_settings(Settings()).key_ids == ["k0", "test"]


@pytest.mark.parametrize(
    ("overrides", "setting"),
    [
        ({"payload_key": b64(b"x" * 16)}, "SITEGEN_PAYLOAD_KEY must be 32 bytes"),
        ({"payload_key": "not base64 at all!"}, "SITEGEN_PAYLOAD_KEY is not base64"),
        ({"payload_old_keys": {"k0": b64(b"y" * 31)}}, "SITEGEN_PAYLOAD_OLD_KEYS['k0']"),
        ({"payload_key_id": "k 1"}, "SITEGEN_PAYLOAD_KEY_ID"),
        ({"payload_key_id": "k9", "payload_old_keys": {"k9": b64(KEY_2)}}, "a key id must"),
    ],
)
def test_bad_key_settings_fail_clearly(overrides: dict[str, Any], setting: str) -> None:
    with pytest.raises(PayloadKeyError) as caught:
        Settings(**{"payload_key": b64(KEY_1), **overrides})
    message = str(caught.value)
    assert setting in message
    keys = [b64(KEY_1), b64(KEY_2), b64(b"x" * 16), b64(b"y" * 31), "not base64 at all!"]
    assert not [key for key in keys if key in message]  # never a key itself


def test_bad_key_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SITEGEN_PAYLOAD_KEY", "c2hvcnQta2V5")
    with pytest.raises(PayloadKeyError, match=r"SITEGEN_PAYLOAD_KEY must be 32 bytes.*it is 9"):
        Settings()


def test_settings_never_show_keys() -> None:
    settings = Settings(payload_key=b64(KEY_1), payload_old_keys={"k0": b64(KEY_2)})
    shown = f"{settings!r} {settings} {codec_from_settings(settings)!r}"
    assert b64(KEY_1) not in shown and b64(KEY_2) not in shown


def test_local_key_is_made_once_private_and_shared(tmp_path: Path) -> None:
    with ThreadPoolExecutor(8) as pool:  # racing processes all end up with one key
        keys = set(
            pool.map(lambda _: load_or_create_local_key(tmp_path).get_secret_value(), range(8))
        )
    assert len(keys) == 1
    path = tmp_path / "secrets" / "payload.key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert [p.name for p in path.parent.iterdir()] == ["payload.key"]  # no temp file left
    assert load_or_create_local_key(tmp_path).get_secret_value() == keys.pop()
    path.chmod(0o644)
    load_or_create_local_key(tmp_path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_local_key_file_that_is_not_a_key(tmp_path: Path) -> None:
    path = tmp_path / "secrets" / "payload.key"
    path.parent.mkdir()
    path.write_text("oops")
    with pytest.raises(PayloadKeyError, match=re.escape(f"the payload key file {path}")):
        load_or_create_local_key(tmp_path)


async def test_without_a_key_a_laptop_uses_its_key_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SITEGEN_PAYLOAD_KEY")
    local = Settings(data_dir=tmp_path, temporal_address="127.0.0.1:7233")
    [sealed] = await codec_from_settings(local).encode([plain(SECRET_TEXT)])
    key = (tmp_path / "secrets" / "payload.key").read_text().strip()
    with_key = Settings(data_dir=tmp_path / "elsewhere", payload_key=key)
    assert await codec_from_settings(with_key).decode([sealed]) == [plain(SECRET_TEXT)]
    shared = Settings(data_dir=tmp_path, temporal_address="temporal.internal:7233")
    with pytest.raises(PayloadKeyError, match="SITEGEN_PAYLOAD_KEY is not set"):
        codec_from_settings(shared)


class Order(BaseModel):
    contact: str
    amount: Decimal


async def test_data_converter_encrypts_values_and_failures() -> None:
    converter = data_converter(Settings())
    [sealed] = await converter.encode([Order(contact=SECRET_TEXT, amount=Decimal("1490.00"))])
    assert sealed.metadata["encoding"] == ENCODING
    assert SECRET_TEXT.encode() not in sealed.SerializeToString()
    [order] = await converter.decode([sealed], [Order])
    assert order == Order(contact=SECRET_TEXT, amount=Decimal("1490.00"))
    # An error can quote a client's data: its message travels encrypted too.
    failure = Failure()
    await converter.encode_failure(ApplicationError(f"bad email {SECRET_TEXT}"), failure)
    assert SECRET_TEXT.encode() not in failure.SerializeToString()
    error = await converter.decode_failure(failure)
    assert SECRET_TEXT in str(error)


# The codec endpoint, on the real app.


def body(*payloads: Payload) -> dict[str, Any]:
    return {
        "payloads": [
            {"metadata": {k: b64(v) for k, v in p.metadata.items()}, "data": b64(p.data)}
            for p in payloads
        ]
    }


def payloads_of(answer: httpx.Response) -> list[Payload]:
    return [
        Payload(
            metadata={k: base64.b64decode(v) for k, v in p["metadata"].items()},
            data=base64.b64decode(p["data"]),
        )
        for p in answer.json()["payloads"]
    ]


async def test_codec_endpoint_decodes_and_encodes(
    api: httpx.AsyncClient, settings: Settings
) -> None:
    original = plain({"contact": SECRET_TEXT})
    [sealed] = await codec_from_settings(settings).encode([original])
    headers = {"X-Namespace": settings.temporal_namespace, "Origin": UI}
    answer = await api.post("/api/v1/codec/decode", json=body(sealed, original), headers=headers)
    assert answer.status_code == 200, answer.text
    assert payloads_of(answer) == [original, original]
    assert answer.headers["access-control-allow-origin"] == UI
    assert answer.headers["access-control-allow-credentials"] == "true"

    encoded = await api.post("/api/v1/codec/encode", json=body(original), headers=headers)
    assert encoded.status_code == 200
    [resealed] = payloads_of(encoded)
    assert resealed.metadata["encoding"] == ENCODING and SECRET_TEXT.encode() not in resealed.data
    assert await codec_from_settings(settings).decode([resealed]) == [original]
    assert os.environ["SITEGEN_PAYLOAD_KEY"] not in answer.text + encoded.text


async def test_codec_endpoint_cors_preflight(api: httpx.AsyncClient) -> None:
    ask = {
        "Origin": UI,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type,x-namespace",
    }
    answer = await api.options("/api/v1/codec/decode", headers=ask)
    assert answer.status_code in (200, 204)
    assert answer.headers["access-control-allow-origin"] == UI
    assert answer.headers["access-control-allow-credentials"] == "true"
    allowed = answer.headers["access-control-allow-headers"].lower()
    assert "x-namespace" in allowed and "content-type" in allowed
    assert "post" in answer.headers["access-control-allow-methods"].lower()

    elsewhere = await api.options(
        "/api/v1/codec/decode", headers={**ask, "Origin": "http://evil.test"}
    )
    assert elsewhere.status_code == 403
    assert "access-control-allow-origin" not in elsewhere.headers
    posted = await api.post(
        "/api/v1/codec/decode", json={"payloads": []}, headers={"Origin": "http://evil.test"}
    )
    assert posted.status_code == 403


async def test_codec_endpoint_refuses_bad_input(api: httpx.AsyncClient, settings: Settings) -> None:
    [sealed] = await codec_from_settings(settings).encode([plain(SECRET_TEXT)])
    tampered = Payload(metadata=dict(sealed.metadata), data=sealed.data[:-1] + b"\x00")
    unknown = Payload(metadata={**sealed.metadata, KEY_ID_METADATA: b"k-old"}, data=sealed.data)
    url = "/api/v1/codec/decode"
    json_header = {"Content-Type": "application/json"}
    cases = [
        await api.post(url, content=b"\x00garbage{", headers=json_header),
        await api.post(url, json=["payloads"]),
        await api.post(url, json={"payloads": "nope"}),
        await api.post(url, json={"payloads": [{"metadata": {"encoding": "%%%"}, "data": ""}]}),
        await api.post(url, json={"payloads": [{"data": 12}]}),
        await api.post(url, content=b"[" * 100_000, headers=json_header),
        await api.post(url, json=body(tampered)),
        await api.post(url, json=body(unknown)),
    ]
    for answer in cases:
        assert answer.status_code == 422, answer.text
        assert answer.json()["errors"][0]["field"]
    assert "k-old" in cases[-1].text  # the unknown key id is named
    assert os.environ["SITEGEN_PAYLOAD_KEY"] not in "".join(a.text for a in cases)

    too_big = await api.post(url, content=b" " * (7 * 1024 * 1024), headers=json_header)
    assert too_big.status_code == 413
    other_namespace = await api.post(url, json={"payloads": []}, headers={"X-Namespace": "other"})
    assert other_namespace.status_code == 403
    as_form = await api.post(
        url, content=b'{"payloads": []}', headers={"Content-Type": "text/plain"}
    )
    assert as_form.status_code == 415
    empty = await api.post(url, json={"payloads": []})
    assert empty.status_code == 200 and empty.json() == {"payloads": []}
