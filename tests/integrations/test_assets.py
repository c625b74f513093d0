import struct
import threading
import time
import zlib
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from ipaddress import IPv4Address, IPv6Address

import pytest

from sitegen.integrations.assets import (
    AssetFetcher,
    AssetRejected,
    AssetUnavailable,
    sniff_image_type,
)


def tiny_png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00\xff\x00\x00")
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


PNG = tiny_png()
GIF = b"GIF89a" + b"\x00" * 20


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args: object) -> None:  # keep test output quiet
        pass

    def send(self, status: int, body: bytes, ctype: str, **headers: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in headers.items():
            self.send_header(k.replace("_", "-"), v)
        self.end_headers()
        self.wfile.write(body)

    def redirect(self, location: str) -> None:
        self.send_response(302)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_GET(self) -> None:
        p = self.path
        try:
            if p == "/logo.png":
                self.send(200, PNG, "image/png")
            elif p == "/anim.gif":
                self.send(200, GIF, "image/gif; charset=binary")
            elif p == "/octet":
                self.send(200, PNG, "application/octet-stream")
            elif p == "/page.html":
                self.send(200, b"<html>hi</html>", "text/html")
            elif p == "/fake.png":
                self.send(200, b"<html>not an image</html>", "image/png")
            elif p == "/icon.svg":
                self.send(200, b"<svg><script>alert(1)</script></svg>", "image/svg+xml")
            elif p == "/huge":  # no Content-Length: must be cut while streaming
                self.send_response(200)
                self.send_header("Content-Type", "image/png")
                self.end_headers()
                self.wfile.write(PNG)
                for _ in range(200):
                    self.wfile.write(b"\0" * 65536)
            elif p == "/huge-declared":
                self.send_response(200)
                self.send_header("Content-Type", "image/png")
                self.send_header("Content-Length", str(50 * 1024 * 1024))
                self.end_headers()
            elif p == "/slow":
                time.sleep(3)
                self.send(200, PNG, "image/png")
            elif p == "/trickle":  # headers fast, body never finishes within the deadline
                self.send_response(200)
                self.send_header("Content-Type", "image/png")
                self.send_header("Content-Length", "100000")
                self.end_headers()
                for _ in range(30):
                    self.wfile.write(b"\0" * 10)
                    self.wfile.flush()
                    time.sleep(0.1)
            elif p == "/disposition":
                self.send(200, PNG, "image/png",
                          Content_Disposition='attachment; filename="../../My Logo!.jpeg"')  # fmt: skip
            elif p == "/to-file":
                self.redirect("file:///etc/passwd")
            elif p == "/to-logo":
                self.redirect("/logo.png")
            elif p.startswith("/chain/"):
                n = int(p.rsplit("/", 1)[1])
                self.redirect(f"/chain/{n - 1}" if n > 0 else "/logo.png")
            elif p == "/to-other-loopback":
                port = self.server.server_address[1]  # type: ignore[index]
                self.redirect(f"http://127.0.0.2:{port}/logo.png")
            elif p in ("/404", "/403", "/500", "/503", "/429"):
                self.send(int(p[1:]), b"nope", "text/plain")
            else:
                self.send(404, b"", "text/plain")
        except (BrokenPipeError, ConnectionResetError):
            pass


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def fetcher() -> AssetFetcher:
    return AssetFetcher(
        max_bytes=1_000_000, timeout_seconds=1.0, allow_private_hosts=True, allow_any_port=True
    )


async def test_fetch_png(server: str, fetcher: AssetFetcher) -> None:
    asset = await fetcher.fetch(f"{server}/logo.png")
    assert asset.content == PNG
    assert asset.content_type == "image/png"
    assert asset.filename == "logo.png"
    assert len(asset.sha256) == 64


async def test_fetch_variants(server: str, fetcher: AssetFetcher) -> None:
    gif = await fetcher.fetch(f"{server}/anim.gif")
    assert gif.content_type == "image/gif" and gif.filename == "anim.gif"
    octet = await fetcher.fetch(f"{server}/octet")  # generic type, real PNG bytes
    assert octet.content_type == "image/png" and octet.filename == "octet.png"
    disp = await fetcher.fetch(f"{server}/disposition")  # extension follows the real type
    assert disp.filename == "My-Logo.png"
    redirected = await fetcher.fetch(f"{server}/to-logo")
    assert redirected.content == PNG
    assert (await fetcher.fetch(f"{server}/chain/2")).content == PNG  # 3 redirects: allowed


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("/page.html", "content_type"),
        ("/fake.png", "content_mismatch"),
        ("/icon.svg", "svg_not_allowed"),
        ("/huge", "too_large"),
        ("/huge-declared", "too_large"),
        ("/to-file", "bad_scheme"),
        ("/chain/3", "too_many_redirects"),
        ("/404", "http_status"),
        ("/403", "http_status"),
    ],
)
async def test_permanent_rejections(
    server: str, fetcher: AssetFetcher, path: str, reason: str
) -> None:
    with pytest.raises(AssetRejected) as err:
        await fetcher.fetch(f"{server}{path}")
    assert err.value.reason == reason


@pytest.mark.parametrize("path", ["/500", "/503", "/429", "/slow", "/trickle"])
async def test_transient_failures(server: str, path: str) -> None:
    fetcher = AssetFetcher(
        max_bytes=1_000_000, timeout_seconds=0.5, allow_private_hosts=True, allow_any_port=True
    )
    started = time.monotonic()
    with pytest.raises(AssetUnavailable):
        await fetcher.fetch(f"{server}{path}")
    assert time.monotonic() - started < 2.0  # the overall deadline holds


async def test_connection_refused_is_transient(fetcher: AssetFetcher) -> None:
    import socket

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens here now
    with pytest.raises(AssetUnavailable) as err:
        await fetcher.fetch(f"http://127.0.0.1:{port}/x.png")
    assert err.value.reason == "connection"


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("file:///etc/passwd", "bad_scheme"),
        ("ftp://example.com/a.png", "bad_scheme"),
        ("data:image/png;base64,AAAA", "bad_scheme"),
        ("javascript:alert(1)", "bad_scheme"),
        ("/etc/passwd", "bad_scheme"),
        ("http://user:pw@example.com/a.png", "bad_url"),
        ("http:///a.png", "bad_url"),
    ],
)
async def test_bad_urls(fetcher: AssetFetcher, url: str, reason: str) -> None:
    with pytest.raises(AssetRejected) as err:
        await fetcher.fetch(url)
    assert err.value.reason == reason


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:1/a.png",
        "http://localhost:1/a.png",
        "http://169.254.169.254/latest/meta-data",
        "http://10.1.2.3/a.png",
        "http://[::1]:1/a.png",
        "http://[::ffff:127.0.0.1]:1/a.png",
        "http://100.64.0.1/a.png",
        "http://0.0.0.0/a.png",
        # A private IPv4 address inside an IPv6 one: NAT64, 6to4, IPv4-compatible, Teredo.
        "http://[64:ff9b::10.0.0.1]/a.png",
        "http://[64:ff9b::169.254.169.254]/latest/meta-data",
        "http://[2002:a00:1::1]/a.png",
        "http://[::10.0.0.1]/a.png",
        "http://[::127.0.0.1]/a.png",
        "http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/a.png",
        "http://[fec0::1]/a.png",  # site-local
    ],
)
async def test_private_hosts_refused(url: str) -> None:
    strict = AssetFetcher(max_bytes=1000, timeout_seconds=1.0, allow_private_hosts=False)
    with pytest.raises(AssetRejected) as err:
        await strict.fetch(url)
    assert err.value.reason == "private_address"


async def test_redirect_hop_is_rechecked(server: str, monkeypatch: pytest.MonkeyPatch) -> None:
    strict = AssetFetcher(max_bytes=1_000_000, timeout_seconds=1.0, allow_any_port=True)

    # Pretend 127.0.0.1 is a public host so the first hop is allowed; 127.0.0.2 stays private.
    def allowed(ip: IPv4Address | IPv6Address) -> bool:
        return ip == IPv4Address("127.0.0.1")

    monkeypatch.setattr(strict, "_ip_allowed", allowed)
    assert (await strict.fetch(f"{server}/logo.png")).content == PNG
    with pytest.raises(AssetRejected) as err:
        await strict.fetch(f"{server}/to-other-loopback")
    assert err.value.reason == "private_address"


def test_sniff() -> None:
    assert sniff_image_type(PNG) == "image/png"
    assert sniff_image_type(b"\xff\xd8\xff\xe0rest") == "image/jpeg"
    assert sniff_image_type(b"RIFF\x00\x00\x00\x00WEBPVP8 ") == "image/webp"
    assert sniff_image_type(b"<svg") is None


@pytest.mark.parametrize(
    "url",
    [
        "http://8.8.8.8:8080/a.png",
        "https://8.8.8.8:2375/a.png",  # a Docker API, say
        "http://[2606:4700::1111]:6379/a.png",
    ],
)
async def test_public_hosts_other_ports_refused(url: str) -> None:
    """A public address, but not a web port: refused before any connection is made."""
    strict = AssetFetcher(max_bytes=1000, timeout_seconds=1.0)
    with pytest.raises(AssetRejected) as err:
        await strict.fetch(url)
    assert err.value.reason == "bad_port"


def test_an_ipv6_wrapping_a_public_ipv4_is_judged_by_it() -> None:
    strict = AssetFetcher(max_bytes=1000, timeout_seconds=1.0)
    assert strict._ip_allowed(IPv6Address("64:ff9b::8.8.8.8"))
    assert strict._ip_allowed(IPv6Address("2002:808:808::1"))
    assert not strict._ip_allowed(IPv6Address("64:ff9b::192.168.1.1"))
