"""AssetFetcher: download a client's logo/photos from a URL they gave us, safely.

The URL is untrusted input, so the fetcher defends against SSRF and abuse:

- only http/https; every redirect hop (at most ``max_redirects``) is re-validated;
- the host is resolved once, every address must be public (unless ``allow_private_hosts``), and
  the connection goes to that checked address (Host header + TLS SNI keep the name), so DNS
  rebinding between check and connect cannot reach an internal service;
- one hard deadline covers the whole fetch, and the body is streamed and cut at ``max_bytes``;
- only PNG, JPEG, WebP and GIF are accepted, and the bytes must really be one of those (magic
  numbers); the sniffed type is the one reported. SVG is refused outright: it can carry script
  and external references, and sanitising it safely is more than this step should own.

``AssetRejected`` is permanent (don't retry); ``AssetUnavailable`` is transient (retry).
"""

from __future__ import annotations

import asyncio
import hashlib
import ipaddress
import re
import socket
import ssl
from dataclasses import dataclass
from urllib.parse import unquote

import httpx
import structlog

log = structlog.get_logger()

ALLOWED_TYPES = {
    "image/png": ".png",
    "image/jpeg": ".jpg",
    "image/webp": ".webp",
    "image/gif": ".gif",
}
# Servers that don't know better send these for images; the magic-number check decides.
_GENERIC_TYPES = {"", "application/octet-stream", "binary/octet-stream", "image/jpg"}
_REDIRECTS = {301, 302, 303, 307, 308}
_TRANSIENT_4XX = {408, 425, 429}

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class AssetError(Exception):
    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason


class AssetRejected(AssetError):
    """Permanent: bad scheme/host, private address, too big, wrong type, 4xx. Not retryable."""


class AssetUnavailable(AssetError):
    """Transient: timeout, connection error, DNS failure, 5xx, 429. Retryable."""


@dataclass(frozen=True)
class FetchedAsset:
    content: bytes
    content_type: str
    sha256: str
    filename: str


def sniff_image_type(data: bytes) -> str | None:
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def _safe_filename(raw: str, content_type: str) -> str:
    name = unquote(raw).replace("\\", "/").rsplit("/", 1)[-1]
    stem = name.rsplit(".", 1)[0] if "." in name else name
    stem = re.sub(r"[^A-Za-z0-9_-]+", "-", stem).strip("-_")[:80] or "asset"
    return stem + ALLOWED_TYPES[content_type]


def _disposition_filename(header: str | None) -> str | None:
    if not header:
        return None
    match = re.search(r'filename\*?=(?:UTF-8\'\')?"?([^";]+)"?', header, re.IGNORECASE)
    return match.group(1) if match else None


# IPv6 addresses that carry an IPv4 one, which is what a NAT64 gateway, a 6to4 relay or an
# old stack would really connect to: judged by the address inside.
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")


def embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    if ip in _NAT64 or ip in _IPV4_COMPATIBLE:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


class AssetFetcher:
    def __init__(
        self,
        max_bytes: int,
        timeout_seconds: float,
        allow_private_hosts: bool = False,
        *,
        allow_any_port: bool = False,
        verify: ssl.SSLContext | bool = True,
        max_redirects: int = 3,
        user_agent: str = "sitegen-asset-fetcher/1.0",
    ) -> None:
        self.max_bytes = max_bytes
        self.timeout_seconds = timeout_seconds
        self.allow_private_hosts = allow_private_hosts
        self.allow_any_port = allow_any_port
        # The system's trust store; a test hands in its own CA.
        self.verify = verify
        self.max_redirects = max_redirects
        self.user_agent = user_agent

    async def fetch(self, url: str) -> FetchedAsset:
        try:
            async with asyncio.timeout(self.timeout_seconds):
                return await self._fetch(url)
        except TimeoutError:
            raise AssetUnavailable(
                "timeout", f"no complete answer in {self.timeout_seconds}s"
            ) from None

    @staticmethod
    def _parse(url: str) -> httpx.URL:
        try:
            parsed = httpx.URL(url)
        except (httpx.InvalidURL, TypeError, ValueError) as exc:
            raise AssetRejected("bad_url", str(exc)) from None
        if parsed.scheme not in ("http", "https"):
            raise AssetRejected("bad_scheme", f"scheme {parsed.scheme or '(none)'!r} not allowed")
        if not parsed.host:
            raise AssetRejected("bad_url", "URL has no host")
        if parsed.userinfo:
            raise AssetRejected("bad_url", "credentials in URLs are not accepted")
        return parsed

    def _ip_allowed(self, ip: IPAddress) -> bool:
        if self.allow_private_hosts:
            return True
        if isinstance(ip, ipaddress.IPv6Address):
            if ip.is_site_local:  # fec0::/10: deprecated, still routed inside some networks
                return False
            inner = embedded_ipv4(ip)
            if inner is not None:
                ip = inner
        return ip.is_global and not ip.is_multicast

    async def _pick_address(self, url: httpx.URL) -> str:
        port = url.port or (443 if url.scheme == "https" else 80)
        loop = asyncio.get_running_loop()
        try:
            infos = await loop.getaddrinfo(url.host, port, type=socket.SOCK_STREAM)
        except socket.gaierror as exc:
            if exc.errno in (socket.EAI_NONAME, getattr(socket, "EAI_NODATA", -5)):
                # The name does not exist: asking again will not make it exist.
                raise AssetRejected("dns_not_found", f"no such host {url.host}") from None
            raise AssetUnavailable("dns", f"cannot resolve {url.host}: {exc}") from None
        addresses = [ipaddress.ip_address(info[4][0]) for info in infos]
        # Every answer must be public: a name that also resolves inside is not trusted at all.
        if not addresses or not all(self._ip_allowed(ip) for ip in addresses):
            raise AssetRejected("private_address", f"{url.host} resolves to a non-public address")
        if not self.allow_any_port and url.port not in (None, 80, 443):
            # A public host's other ports are its admin consoles and databases, not images.
            raise AssetRejected("bad_port", f"port {url.port} is not 80 or 443")
        return str(addresses[0])

    async def _fetch(self, url: str) -> FetchedAsset:
        current = self._parse(url)
        timeout = httpx.Timeout(self.timeout_seconds)
        # trust_env=False: a proxy from the environment would defeat the address pinning.
        async with httpx.AsyncClient(
            timeout=timeout, follow_redirects=False, trust_env=False, verify=self.verify
        ) as c:
            for hop in range(self.max_redirects + 1):
                ip = await self._pick_address(current)
                request = c.build_request(
                    "GET",
                    current.copy_with(host=ip),
                    headers={"Host": current.netloc.decode("ascii"), "User-Agent": self.user_agent,
                             "Accept": "image/*", "Accept-Encoding": "identity"},
                    extensions={"sni_hostname": current.host} if current.scheme == "https" else {},
                )  # fmt: skip
                try:
                    response = await c.send(request, stream=True)
                except httpx.TimeoutException:
                    raise AssetUnavailable("timeout", f"{current.host} timed out") from None
                except httpx.TransportError as exc:
                    raise AssetUnavailable("connection", f"{current.host}: {exc!r}") from None
                try:
                    location = response.headers.get("location")
                    if response.status_code in _REDIRECTS:
                        if not location:
                            raise AssetRejected("bad_redirect", "redirect without Location")
                        if hop == self.max_redirects:
                            raise AssetRejected("too_many_redirects", f"more than {hop} hops")
                        current = self._parse(str(current.join(location)))
                        continue
                    return await self._read(current, response)
                finally:
                    await response.aclose()
        raise AssertionError("unreachable")  # the loop always returns or raises

    async def _read(self, url: httpx.URL, response: httpx.Response) -> FetchedAsset:
        status = response.status_code
        if status >= 500 or status in _TRANSIENT_4XX:
            raise AssetUnavailable("http_status", f"{url.host} answered {status}")
        if not 200 <= status < 300 or status == 204:
            raise AssetRejected("http_status", f"{url.host} answered {status}")
        declared = response.headers.get("content-type", "").split(";")[0].strip().lower()
        if declared == "image/svg+xml":
            raise AssetRejected("svg_not_allowed", "SVG images are not accepted")
        if declared not in ALLOWED_TYPES and declared not in _GENERIC_TYPES:
            raise AssetRejected("content_type", f"{declared!r} is not an accepted image type")
        length = response.headers.get("content-length", "")
        if length.isdigit() and int(length) > self.max_bytes:
            raise AssetRejected("too_large", f"declared {length} bytes > {self.max_bytes}")
        chunks: list[bytes] = []
        size = 0
        try:
            async for chunk in response.aiter_bytes():
                size += len(chunk)
                if size > self.max_bytes:
                    raise AssetRejected("too_large", f"body exceeds {self.max_bytes} bytes")
                chunks.append(chunk)
        except httpx.TimeoutException:
            raise AssetUnavailable("timeout", f"{url.host} stalled") from None
        except httpx.DecodingError as exc:
            raise AssetRejected("bad_encoding", str(exc)) from None
        except httpx.TransportError as exc:
            raise AssetUnavailable("connection", f"{url.host}: {exc!r}") from None
        content = b"".join(chunks)
        sniffed = sniff_image_type(content)
        if sniffed is None:
            raise AssetRejected("content_mismatch", "body is not a PNG, JPEG, WebP or GIF image")
        raw_name = _disposition_filename(response.headers.get("content-disposition")) or url.path
        filename = _safe_filename(raw_name, sniffed)
        log.info("assets.fetched", host=url.host, size=len(content), content_type=sniffed)
        return FetchedAsset(content, sniffed, hashlib.sha256(content).hexdigest(), filename)
