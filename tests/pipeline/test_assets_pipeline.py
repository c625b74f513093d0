"""Client assets: fetched into storage and into the site; a bad one never stops the site."""

from __future__ import annotations

import re
import struct
import threading
import zlib
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from sitegen.settings import Settings
from tests.conftest import order_body, unique_onboarding
from tests.pipeline.helpers import PreviewSite, notifications, order_site, wait_status


def tiny_png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x80\x00")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


class AssetHandler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path == "/logo.png":
            body, kind = tiny_png(), "image/png"
        elif self.path == "/page.html":
            body, kind = b"<html>not an image</html>", "text/html"
        else:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def asset_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), AssetHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.mark.usefixtures("worker")
async def test_logo_is_used_and_bad_assets_fall_back(
    api: httpx.AsyncClient, settings: Settings, sessions: Any, asset_server: str
) -> None:
    form = unique_onboarding("ironbark-software")
    form["assets"] = [
        {"kind": "logo", "url": f"{asset_server}/logo.png", "alt": "Ironbark logo"},
        {"kind": "image", "url": f"{asset_server}/page.html", "alt": "Team photo"},
        {"kind": "image", "url": f"{asset_server}/gone.png", "alt": "Office"},
    ]
    created = await order_site(api, form)
    project = await wait_status(api, created["id"])
    assert project["status"] == "preview_ready"
    assert (settings.storage_root / f"projects/{created['id']}/assets/logo.png").exists()

    site = PreviewSite(settings.sites_root, project["preview_url"])
    try:
        home = (await site.get("/")).text
        # The logo as re-encoded for the web: a WebP source and a fallback (JPEG: the logo has
        # no transparent pixel), with its size.
        found = re.search(r'<img src="(assets/logo-\d+\.jpg)"[^>]* width="1" height="1"', home)
        assert found and 'type="image/webp"' in home, home[:2000]
        logo = await site.get(f"/{found.group(1)}")
        assert logo.status_code == 200 and logo.content.startswith(b"\xff\xd8\xff")
        assert (await site.get("/assets/images.json")).status_code == 404  # not published
    finally:
        await site.aclose()

    workspace = [
        n
        for n in await notifications(sessions, created["id"])
        if n.recipient == settings.workspace_notify_recipient
    ]
    failures = workspace[0].payload["asset_failures"]
    assert sorted(f["alt"] for f in failures) == ["Office", "Team photo"]


async def test_a_local_file_url_is_refused_at_the_door(api: httpx.AsyncClient) -> None:
    form = unique_onboarding("ironbark-software")
    form["assets"] = [{"kind": "logo", "url": "file:///etc/passwd", "alt": "logo"}]
    response = await api.post("/api/v1/projects", json=order_body(form))
    assert response.status_code == 422
    assert any(e["field"].startswith("onboarding.assets.0.url") for e in response.json()["errors"])
