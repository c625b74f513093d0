"""Fetch a preview URL the way a browser would, also where `*.localhost` has no DNS entry.

Browsers and curl resolve every `*.localhost` name to loopback (RFC 6761); Python's
resolver may not, so for those names we connect to 127.0.0.1 and send the Host header.
"""

from __future__ import annotations

import httpx


def _target(url: str) -> tuple[str, dict[str, str]]:
    parsed = httpx.URL(url)
    host = parsed.host or ""
    if host == "localhost" or host.endswith(".localhost"):
        netloc = f"{host}:{parsed.port}" if parsed.port else host
        return str(parsed.copy_with(host="127.0.0.1")), {"Host": netloc}
    return url, {}


def get_preview(url: str, timeout: float = 5.0) -> httpx.Response:
    target, headers = _target(url)
    return httpx.get(target, headers=headers, timeout=timeout)
