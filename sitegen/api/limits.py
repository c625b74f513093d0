"""Limits on what a request body may be, applied before any route parses it: a size (413),
and for JSON a nesting depth (422), so a hostile body can neither fill the worker's memory
nor drive a parser into deep recursion. The body a route reads is the same bytes (the
Stripe webhook verifies its signature over them)."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def json_depth(body: bytes) -> int:
    """How deeply arrays and objects nest in `body` (strings skipped), without parsing it."""
    depth = deepest = 0
    in_string = escaped = False
    for byte in body:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):  # [ {
            depth += 1
            deepest = max(deepest, depth)
        elif byte in (0x5D, 0x7D):  # ] }
            depth -= 1
    return deepest


class BodyLimits:
    def __init__(
        self,
        app: ASGIApp,
        max_bytes: int,
        max_depth: int,
        max_upload_bytes: int,
        uploads_per_form: dict[str, int] | None = None,
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.max_depth = max_depth
        # A file upload (multipart) may be as large as an image may be, and a little more.
        self.max_upload_bytes = max_upload_bytes + 64 * 1024
        # Forms that carry several images at once (the portal's onboarding form), by path.
        self.form_limits = {
            prefix: count * max_upload_bytes + 256 * 1024
            for prefix, count in (uploads_per_form or {}).items()
        }

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        upload = headers.get("content-type", "").startswith("multipart/form-data")
        limit = self.max_upload_bytes if upload else self.max_bytes
        if upload:
            path = scope.get("path", "")
            limit = next((n for p, n in self.form_limits.items() if path.startswith(p)), limit)
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            await _refuse(send, 413, f"the body is over {limit} bytes")
            return
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:  # a body that lied about its length, or sent none
                await _refuse(send, 413, f"the body is over {limit} bytes")
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)
        if "json" in headers.get("content-type", "") and json_depth(body) > self.max_depth:
            await _refuse(send, 422, f"the JSON nests deeper than {self.max_depth} levels")
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()  # what comes after the body: a disconnect
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)


async def _refuse(send: Send, status: int, reason: str) -> None:
    if status == 422:
        content = {"detail": "invalid input", "errors": [{"field": "body", "reason": reason}]}
    else:
        content = {"detail": reason}
    payload = json.dumps(content).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(payload)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})
