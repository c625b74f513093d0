"""The remote codec the Temporal UI (and `temporal --codec-endpoint`) calls so an operator
sees decrypted payloads: POST /codec/decode and /codec/encode, proto3 JSON in and out,
`{"payloads": [{"metadata": {name: base64}, "data": base64}]}`.

Anyone who can call /decode reads every client's personal data, so: it wants an operator's
credential (the Temporal UI sends the signed-in user's token, or the console's sign-in
cookie when it shares the console's site), except on a laptop's own stack,
where the API and Temporal listen on loopback only and the key file is readable anyway; it answers only for this deployment's namespace;
browsers may call it only from the configured UI origins; it never echoes a key or a value
it could not read; and it refuses bodies past a size no Temporal payload batch reaches.

CORS is handled here rather than by an app-wide middleware: only these two routes are meant
for another origin, with credentials, and every answer (errors too) must carry the headers
or the UI cannot read why it failed.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from temporalio.api.common.v1 import Payload

from sitegen.api.deps import open_session
from sitegen.api.errors import Unauthorized
from sitegen.api.principal import resolve
from sitegen.auth.cookies import ACCESS_COOKIE
from sitegen.auth.credentials import API_KEY_PREFIX
from sitegen.db import tenancy
from sitegen.payload_codec import (
    EncryptionCodec,
    PayloadDecodeError,
    codec_from_settings,
    temporal_is_local,
)
from sitegen.settings import Settings

# Out of the OpenAPI document: this is the Temporal UI's protocol for operators, not part of
# the API clients build on (and a decrypting endpoint is better not advertised).
router = APIRouter(prefix="/codec", tags=["codec"], include_in_schema=False)

# Temporal refuses a gRPC message past 4 MB, so a real batch of payloads is under that; as
# base64 in JSON it grows by a third.
MAX_BODY_BYTES = 6 * 1024 * 1024
MAX_PAYLOADS = 1000
ALLOWED_HEADERS = "Content-Type, X-Namespace, Authorization"
LOOPBACK = ("127.0.0.1", "::1", "localhost")


class _Refused(Exception):
    def __init__(self, status: int, field: str, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.field = field
        self.reason = reason


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _codec(request: Request) -> EncryptionCodec:
    # Built once per app from settings: the API decodes even while Temporal is down.
    codec: EncryptionCodec | None = getattr(request.app.state, "payload_codec", None)
    if codec is None:
        codec = codec_from_settings(_settings(request))
        request.app.state.payload_codec = codec
    return codec


def _cors_headers(request: Request) -> dict[str, str]:
    origin = request.headers.get("origin")
    headers = {"Vary": "Origin"}
    if origin and origin in _settings(request).codec_origins:
        headers |= {
            "Access-Control-Allow-Origin": origin,
            "Access-Control-Allow-Credentials": "true",
        }
    return headers


def _answer(request: Request, status: int, content: dict[str, Any]) -> JSONResponse:
    return JSONResponse(status_code=status, content=content, headers=_cors_headers(request))


def _refusal(request: Request, refused: _Refused) -> JSONResponse:
    # The same shape as every other 4xx of the API: the field and the reason, never a value.
    if refused.status == 422:
        body: dict[str, Any] = {
            "detail": "invalid input",
            "errors": [{"field": refused.field, "reason": refused.reason}],
        }
    else:
        body = {"detail": refused.reason}
    return _answer(request, refused.status, body)


@router.options("/decode")
@router.options("/encode")
async def preflight(request: Request) -> Response:
    origin = request.headers.get("origin")
    if not origin or origin not in _settings(request).codec_origins:
        return Response(status_code=403, content="origin not allowed", headers={"Vary": "Origin"})
    if request.headers.get("access-control-request-method", "POST").upper() != "POST":
        return Response(status_code=405, headers={"Vary": "Origin"})
    headers = _cors_headers(request) | {
        "Access-Control-Allow-Methods": "POST, OPTIONS",
        "Access-Control-Allow-Headers": ALLOWED_HEADERS,
        "Access-Control-Max-Age": "600",
    }
    return Response(status_code=204, headers=headers)


@router.post("/decode")
async def decode(request: Request) -> Response:
    """Encrypted payloads in, the original payloads out (others pass through)."""
    return await _apply(request, "decode")


@router.post("/encode")
async def encode(request: Request) -> Response:
    """Payloads the UI made (a signal's input) in, sealed with the current key out."""
    return await _apply(request, "encode")


async def _apply(request: Request, action: str) -> Response:
    try:
        _check_caller(request)
        await _check_operator(request)
        payloads = _parse(await _read_body(request))
        codec = _codec(request)
        if action == "decode":
            out = [_open(codec, index, payload) for index, payload in enumerate(payloads)]
        else:
            out = await codec.encode(payloads)
    except _Refused as refused:
        return _refusal(request, refused)
    return _answer(request, 200, {"payloads": [_to_json(p) for p in out]})


def _check_caller(request: Request) -> None:
    origin = request.headers.get("origin")
    if origin and origin not in _settings(request).codec_origins:
        # A browser page of another origin: refuse before doing any work for it.
        raise _Refused(403, "origin", "origin not allowed")
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media != "application/json":
        # Also keeps a cross-site form (text/plain, no preflight) from reaching the codec.
        raise _Refused(415, "body", "send application/json")
    namespace = request.headers.get("x-namespace")
    if namespace is not None and namespace != _settings(request).temporal_namespace:
        raise _Refused(403, "X-Namespace", "this codec serves another namespace")


def _open_here(request: Request, settings: Settings) -> bool:
    """The laptop's exemption: switched on by `sitegen dev`, and even then only for a caller
    on this machine that no proxy forwarded (a proxy in front would make everyone local)."""
    if not (settings.codec_open_on_loopback and temporal_is_local(settings)):
        return False
    caller = request.client.host if request.client else ""
    forwarded = any(h in request.headers for h in ("forwarded", "x-forwarded-for", "x-real-ip"))
    return caller in LOOPBACK and settings.api_host in LOOPBACK and not forwarded


async def _check_operator(request: Request) -> None:
    settings = _settings(request)
    if _open_here(request, settings):
        return
    scheme, _, credential = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not credential:
        # An operator signed in to the console, whose Temporal UI shares its site and sends
        # credentials (TEMPORAL_CODEC_INCLUDE_CREDENTIALS). No other site can use it: the
        # cookie is SameSite, and a JSON body means a preflight only the UI's origin passes.
        cookie = request.cookies.get(ACCESS_COOKIE, "")
        credential = "" if cookie.startswith(API_KEY_PREFIX) else cookie
    if not credential:
        raise _Refused(401, "Authorization", "sign in: send Authorization: Bearer <token>")
    try:
        async with open_session(request, tenancy.NOBODY) as session:
            caller = await resolve(settings, session, credential.strip())
    except Unauthorized as exc:
        raise _Refused(401, "Authorization", exc.message) from None
    if not caller.agency:
        raise _Refused(403, "Authorization", "only the agency's operators may decode payloads")


async def _read_body(request: Request) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > MAX_BODY_BYTES):
        raise _Refused(413, "body", f"larger than {MAX_BODY_BYTES} bytes")
    body = bytearray()
    async for chunk in request.stream():  # counted as it arrives: a lying client stops here
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            raise _Refused(413, "body", f"larger than {MAX_BODY_BYTES} bytes")
    return bytes(body)


def _parse(body: bytes) -> list[Payload]:
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        raise _Refused(422, "body", "not valid JSON") from None
    if not isinstance(data, dict) or not isinstance(data.get("payloads"), list):
        raise _Refused(422, "payloads", 'expected {"payloads": [...]}')
    items: list[Any] = data["payloads"]
    if len(items) > MAX_PAYLOADS:
        raise _Refused(422, "payloads", f"at most {MAX_PAYLOADS} payloads at a time")
    return [_payload(index, item) for index, item in enumerate(items)]


def _payload(index: int, item: Any) -> Payload:
    field = f"payloads.{index}"
    if not isinstance(item, dict):
        raise _Refused(422, field, "expected {metadata, data}")
    metadata = item.get("metadata", {})
    if not isinstance(metadata, dict):
        raise _Refused(422, f"{field}.metadata", "expected an object of base64 values")
    decoded = {
        str(name): _bytes(f"{field}.metadata.{str(name)[:64]}", value)
        for name, value in metadata.items()
    }
    return Payload(metadata=decoded, data=_bytes(f"{field}.data", item.get("data", "")))


def _bytes(field: str, value: Any) -> bytes:
    # proto3 JSON writes bytes as base64, standard or url-safe, padding optional.
    if not isinstance(value, str):
        raise _Refused(422, field, "expected a base64 string")
    text = value.rstrip("=").replace("-", "+").replace("_", "/")
    try:
        return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise _Refused(422, field, "not valid base64") from None


def _open(codec: EncryptionCodec, index: int, payload: Payload) -> Payload:
    try:
        return codec.open(payload)
    except PayloadDecodeError as exc:  # names a key id at most, never key or content
        raise _Refused(422, f"payloads.{index}", str(exc)) from None


def _to_json(payload: Payload) -> dict[str, Any]:
    return {
        "metadata": {name: _b64(value) for name, value in payload.metadata.items()},
        "data": _b64(payload.data),
    }


def _b64(value: bytes) -> str:
    return base64.b64encode(value).decode("ascii")
