"""The port every channel implements, and what a channel is given to deliver.

A channel never knows a table: it gets an `Envelope` (rendered content and the delivery id)
and either returns a receipt or raises `DeliveryFailed`, saying whether a later attempt
could succeed.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any, Protocol


def delivery_id(idempotency_key: str) -> str:
    """Stable per outbox row and the same on every resend, so a receiver can drop a
    duplicate. A hash, because keys carry characters a Message-ID may not (':' in times)."""
    return hashlib.sha256(idempotency_key.encode()).hexdigest()[:32]


@dataclass(frozen=True)
class Envelope:
    delivery_id: str
    kind: str
    recipient: str
    subject: str
    text: str
    html: str
    # The machine-readable event (webhooks): kind, project, the row's payload.
    event: dict[str, Any] = field(default_factory=dict)


class DeliveryFailed(Exception):
    """The channel could not deliver. `permanent`: the receiver refused the message itself
    (a bad address, a 4xx), and sending it again cannot help."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


class Channel(Protocol):
    name: str

    async def send(self, envelope: Envelope) -> str:
        """Deliver once; return where it went, with no personal data (a path, a host)."""
        ...
