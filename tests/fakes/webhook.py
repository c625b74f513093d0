"""A real HTTP server standing in for the agency's webhook receiver.

It checks the signature the way a receiver must, on its own (not with sitegen's code):
HMAC-SHA256 over f"{t}.{body}" with its own copy of the secret, compared in constant time.
A valid request gets 204 (or the next status queued with `answer`), a bad signature 401.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest


@dataclass
class Delivery:
    headers: dict[str, str]
    body: bytes
    signature_ok: bool

    @property
    def event(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.body)
        return data


def signature_valid(secret: bytes, header: str, body: bytes) -> bool:
    try:
        fields = dict(part.split("=", 1) for part in header.split(","))
        expected = hmac.new(secret, fields["t"].encode() + b"." + body, hashlib.sha256)
        return hmac.compare_digest(expected.hexdigest(), fields["v1"])
    except (KeyError, ValueError):
        return False


class WebhookReceiver:
    def __init__(self, secret: bytes) -> None:
        self.secret = secret
        self.deliveries: list[Delivery] = []
        self.answers: list[int] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                ok = signature_valid(
                    receiver.secret, self.headers.get("X-Sitegen-Signature", ""), body
                )
                receiver.deliveries.append(Delivery(dict(self.headers.items()), body, ok))
                status = receiver.answers.pop(0) if receiver.answers else 204
                self.send_response(status if ok else 401)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/sitegen?token=t0k3n"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def answer(self, *statuses: int) -> None:
        """The next valid requests get these statuses, in order."""
        self.answers.extend(statuses)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def webhook_receiver() -> Iterator[WebhookReceiver]:
    receiver = WebhookReceiver(b"agency-webhook-secret")
    receiver.start()
    try:
        yield receiver
    finally:
        receiver.stop()
