"""The two Hosting adapters side by side, for the contract tests: each with a way to fetch what a
visitor sees at a hostname (LocalHosting through its static host app, CloudflareHosting through
the Cloudflare fake's edge)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
from cloudflare import AsyncCloudflare

from sitegen.integrations.hosting import Hosting, LocalHosting, SiteAddresses, make_static_host_app
from sitegen.integrations.hosting.cloudflare_hosting import CloudflareHosting
from tests.fakes.cloudflare import FakeCloudflare

Fetch = Callable[[str, str], Awaitable[tuple[int, str]]]

CF_ADDRESSES = SiteAddresses("preview.agency.test", "sites.agency.test", port=None, scheme="https")


@dataclass
class Adapter:
    name: str
    hosting: Hosting
    addresses: SiteAddresses
    fetch: Fetch  # (hostname, path) -> (status, text)
    fake: FakeCloudflare | None = None


def make_build(root: Path, title: str, with_404: bool = True) -> Path:
    (root / "about").mkdir(parents=True)
    (root / "index.html").write_text(f"<h1>{title}</h1>")
    (root / "about" / "index.html").write_text("<h1>About</h1>")
    (root / "style.css").write_text("body{}")
    (root / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    (root / ".env").write_text("SECRET=1")
    if with_404:
        (root / "404.html").write_text("<h1>Custom 404</h1>")
    return root


def cloudflare_client(fake: FakeCloudflare, token: str | None = None) -> AsyncCloudflare:
    return AsyncCloudflare(
        api_token=token or fake.state.token, base_url=fake.api_url, max_retries=0, timeout=10
    )


def cloudflare_hosting(fake: FakeCloudflare, **overrides: str) -> CloudflareHosting:
    return CloudflareHosting(
        cloudflare_client(fake, overrides.get("token")),
        overrides.get("account_id", fake.state.account_id),
        overrides.get("zone_id", fake.state.zone_id),
        CF_ADDRESSES,
    )


async def local_adapter(root: Path) -> AsyncIterator[Adapter]:
    hosting = LocalHosting(root / "sites", SiteAddresses())
    transport = httpx.ASGITransport(app=make_static_host_app(hosting.sites_root))
    async with httpx.AsyncClient(transport=transport, base_url="http://x.localhost") as c:

        async def fetch(host: str, path: str) -> tuple[int, str]:
            r = await c.get(path, headers={"host": host})
            return r.status_code, r.text

        yield Adapter("local", hosting, SiteAddresses(), fetch)


async def cloudflare_adapter(fake: FakeCloudflare) -> AsyncIterator[Adapter]:
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{fake.port}") as c:

        async def fetch(host: str, path: str) -> tuple[int, str]:
            r = await c.get(path, headers={"host": host})
            return r.status_code, r.text

        yield Adapter("cloudflare", cloudflare_hosting(fake), CF_ADDRESSES, fetch, fake)
