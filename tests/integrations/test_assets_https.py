"""The HTTPS path of the asset fetcher: it connects to the address it checked (pinned, so a
second DNS answer cannot send it elsewhere) while TLS still verifies the certificate against
the URL's host name (sent as SNI), never against the bare address."""

from __future__ import annotations

import datetime
import ssl
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from sitegen.integrations.assets import AssetFetcher, AssetUnavailable
from tests.integrations.test_assets import PNG


def _certificate(tmp: Path, names: list[str]) -> tuple[Path, Path, Path]:
    """A CA, and a server certificate it signed for `names`: (ca, cert, key) PEM files."""
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sitegen test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=1))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=1))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName(n) for n in names]), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    paths = tmp / "ca.pem", tmp / "cert.pem", tmp / "key.pem"
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return paths


class _Handler(BaseHTTPRequestHandler):
    seen: list[tuple[str, str | None]] = []

    def do_GET(self) -> None:
        sni = getattr(self.server, "last_sni", None)
        self.seen.append((self.headers.get("Host", ""), sni))
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.send_header("Content-Length", str(len(PNG)))
        self.end_headers()
        self.wfile.write(PNG)

    def log_message(self, *args: Any) -> None:
        pass


def _serve(tmp: Path, names: list[str]) -> Iterator[tuple[int, Path]]:
    ca, cert, key = _certificate(tmp, names)
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)

    def remember_sni(sock: ssl.SSLObject, name: str | None, _: ssl.SSLContext) -> None:
        httpd.last_sni = name  # type: ignore[attr-defined]

    context.sni_callback = remember_sni
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield httpd.server_address[1], ca
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture
def localhost_tls(tmp_path: Path) -> Iterator[tuple[int, Path]]:
    yield from _serve(tmp_path, ["localhost"])


@pytest.fixture
def other_name_tls(tmp_path: Path) -> Iterator[tuple[int, Path]]:
    yield from _serve(tmp_path, ["assets.example"])


def _fetcher(ca: Path) -> AssetFetcher:
    return AssetFetcher(
        max_bytes=100_000,
        timeout_seconds=5,
        allow_private_hosts=True,  # the test server is on loopback
        allow_any_port=True,
        verify=ssl.create_default_context(cafile=str(ca)),
    )


async def test_https_connects_to_the_pinned_address_and_verifies_the_name(
    localhost_tls: tuple[int, Path],
) -> None:
    port, ca = localhost_tls
    _Handler.seen.clear()
    asset = await _fetcher(ca).fetch(f"https://localhost:{port}/logo.png")
    assert asset.content == PNG
    # The request went to the checked address, named as the URL names it, in both the
    # Host header and the TLS handshake.
    assert _Handler.seen == [(f"localhost:{port}", "localhost")]


async def test_a_certificate_for_another_name_is_refused(
    other_name_tls: tuple[int, Path],
) -> None:
    port, ca = other_name_tls
    with pytest.raises(AssetUnavailable) as err:
        await _fetcher(ca).fetch(f"https://localhost:{port}/logo.png")
    assert err.value.reason == "connection"
