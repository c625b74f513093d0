"""The Hosting port's contract, run on both adapters: LocalHosting and CloudflareHosting
(against the local Cloudflare fake, through the real `cloudflare` SDK)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from sitegen.integrations.hosting import (
    DeployError,
    Hosting,
    InvalidSiteName,
    SubdomainTaken,
    VersionPinned,
)
from tests.fakes.cloudflare import FakeCloudflare, running_fake
from tests.integrations.hosting_adapters import (
    Adapter,
    cloudflare_adapter,
    local_adapter,
    make_build,
)


@pytest.fixture
def fake() -> Iterator[FakeCloudflare]:
    with running_fake() as fake:
        yield fake


@pytest.fixture(params=["local", "cloudflare"])
async def adapter(
    request: pytest.FixtureRequest, tmp_path: Path, fake: FakeCloudflare
) -> AsyncIterator[Adapter]:
    made = local_adapter(tmp_path) if request.param == "local" else cloudflare_adapter(fake)
    async for a in made:
        yield a


async def test_deploy_idempotent_and_replays_never_roll_back(
    adapter: Adapter, tmp_path: Path
) -> None:
    hosting = adapter.hosting
    assert isinstance(hosting, Hosting)
    src = make_build(tmp_path / "b1", "v1")
    assert await hosting.current("acme") is None
    d1 = await hosting.deploy("acme", src, "wf-1:deploy_preview:r0")
    assert d1.created and d1.url.startswith(("http://", "https://"))
    d2 = await hosting.deploy("acme", src, "wf-1:deploy_preview:r0")
    assert d2 == type(d2)("acme", d1.deploy_id, d1.url, created=False)
    assert await hosting.current("acme") == d1.deploy_id

    d3 = await hosting.deploy("acme", make_build(tmp_path / "b2", "v2"), "wf-1:deploy_preview:r1")
    assert d3.created and d3.deploy_id != d1.deploy_id
    assert await hosting.current("acme") == d3.deploy_id
    assert not (await hosting.deploy("acme", src, "wf-1:deploy_preview:r0")).created
    assert await hosting.current("acme") == d3.deploy_id
    await hosting.activate("acme", d1.deploy_id)  # operator rollback
    assert await hosting.current("acme") == d1.deploy_id
    with pytest.raises(DeployError):
        await hosting.activate("acme", "d-0000000000")
    with pytest.raises(InvalidSiteName):
        await hosting.deploy("../x", tmp_path, "k")
    with pytest.raises(DeployError):
        await hosting.deploy("acme", tmp_path / "missing", "k9")


async def test_preview_shows_the_page(adapter: Adapter, tmp_path: Path) -> None:
    hosting, addr = adapter.hosting, adapter.addresses
    r = await hosting.ensure_subdomain("acme", "bakery")
    assert r.created and r.hostname == addr.preview_host("bakery")
    assert r.url == addr.preview("bakery")
    await hosting.deploy("acme", make_build(tmp_path / "b1", "Acme"), "k1")
    host = addr.preview_host("bakery")
    assert await adapter.fetch(host, "/") == (200, "<h1>Acme</h1>")
    assert await adapter.fetch(host, "/about/") == (200, "<h1>About</h1>")
    assert await adapter.fetch(host, "/missing") == (404, "<h1>Custom 404</h1>")
    status, text = await adapter.fetch(host, "/.env")
    assert status == 404 and "SECRET" not in text
    # A later deploy moves the same address.
    await hosting.deploy("acme", make_build(tmp_path / "b2", "Acme 2"), "k2")
    assert await adapter.fetch(host, "/") == (200, "<h1>Acme 2</h1>")
    assert not (await hosting.ensure_subdomain("acme", "bakery")).created


async def test_subdomains_belong_to_one_site(adapter: Adapter, tmp_path: Path) -> None:
    hosting = adapter.hosting
    await hosting.deploy("acme", make_build(tmp_path / "b", "acme"), "k1")
    await hosting.deploy("other", make_build(tmp_path / "o", "other"), "k1")
    assert (await hosting.ensure_subdomain("acme", "acme-bakery")).created
    assert not (await hosting.ensure_subdomain("acme", "acme-bakery")).created
    with pytest.raises(SubdomainTaken):
        await hosting.ensure_subdomain("other", "acme-bakery")
    with pytest.raises(SubdomainTaken):
        await hosting.ensure_subdomain("acme", "other")
    for bad in ["Bad_Name", "x--y"]:
        with pytest.raises(InvalidSiteName):
            await hosting.ensure_subdomain("acme", bad)


async def test_version_pins_are_immutable(adapter: Adapter, tmp_path: Path) -> None:
    hosting, addr = adapter.hosting, adapter.addresses
    d1 = await hosting.deploy("acme", make_build(tmp_path / "b1", "v1"), "k1")
    r1 = await hosting.pin_version("acme", "bakery", 1, d1.deploy_id)
    assert r1.created and r1.hostname == addr.version_host("bakery", 1)
    assert r1.url == addr.version("bakery", 1)
    d2 = await hosting.deploy("acme", make_build(tmp_path / "b2", "v2"), "k2")
    await hosting.pin_version("acme", "bakery", 2, d2.deploy_id)
    d3 = await hosting.deploy("acme", make_build(tmp_path / "b3", "v3"), "k3")
    assert await adapter.fetch(addr.version_host("bakery", 1), "/") == (200, "<h1>v1</h1>")
    assert await adapter.fetch(addr.version_host("bakery", 2), "/") == (200, "<h1>v2</h1>")
    assert await adapter.fetch(addr.preview_host("bakery"), "/") == (200, "<h1>v3</h1>")
    assert (await adapter.fetch(addr.version_host("bakery", 3), "/"))[0] != 200
    again = await hosting.pin_version("acme", "bakery", 1, d1.deploy_id)
    assert again == type(again)(r1.hostname, r1.url, created=False)
    with pytest.raises(VersionPinned):
        await hosting.pin_version("acme", "bakery", 1, d3.deploy_id)
    with pytest.raises(DeployError):
        await hosting.pin_version("acme", "bakery", 4, "../../etc")
    for sub, n in [("bakery", 0), ("a" * 60, 100), ("x--y", 1), ("Bakery", 1)]:
        with pytest.raises(InvalidSiteName):
            await hosting.pin_version("acme", sub, n, d1.deploy_id)
    other = await hosting.deploy("other", make_build(tmp_path / "o", "other"), "k1")
    with pytest.raises(SubdomainTaken):
        await hosting.pin_version("other", "bakery", 9, other.deploy_id)
    with pytest.raises(DeployError):  # not acme's deploy
        await hosting.pin_version("acme", "bakery", 9, other.deploy_id)


async def test_production_and_activate_false(adapter: Adapter, tmp_path: Path) -> None:
    hosting, addr = adapter.hosting, adapter.addresses
    preview = await hosting.deploy("acme", make_build(tmp_path / "b1", "preview"), "k1")
    prod = await hosting.deploy("acme", make_build(tmp_path / "b2", "prod"), "p1", activate=False)
    assert prod.created and await hosting.current("acme") == preview.deploy_id
    assert not (await hosting.deploy("acme", tmp_path / "b2", "p1")).created  # never activates
    assert await hosting.current("acme") == preview.deploy_id
    live = addr.production_host("bakery")
    assert (await adapter.fetch(live, "/"))[0] != 200
    assert hosting.production_url("bakery") == addr.production("bakery")
    r = await hosting.publish_production("acme", "bakery", prod.deploy_id)
    assert r.created and r.url == addr.production("bakery") and r.hostname == live
    assert not (await hosting.publish_production("acme", "bakery", prod.deploy_id)).created
    assert await adapter.fetch(live, "/") == (200, "<h1>prod</h1>")
    assert await adapter.fetch(addr.preview_host("bakery"), "/") == (200, "<h1>preview</h1>")
    later = await hosting.deploy("acme", make_build(tmp_path / "b3", "v2"), "p2", activate=False)
    assert (await hosting.publish_production("acme", "bakery", later.deploy_id)).created
    assert await adapter.fetch(live, "/") == (200, "<h1>v2</h1>")
    other = await hosting.deploy("other", make_build(tmp_path / "o", "other"), "k1")
    with pytest.raises(SubdomainTaken):
        await hosting.publish_production("other", "bakery", other.deploy_id)
    with pytest.raises(DeployError):
        await hosting.publish_production("acme", "bakery", other.deploy_id)


async def test_take_down(adapter: Adapter, tmp_path: Path) -> None:
    hosting, addr = adapter.hosting, adapter.addresses
    d1 = await hosting.deploy("acme", make_build(tmp_path / "b1", "v1"), "k1")
    await hosting.ensure_subdomain("acme", "bakery")
    await hosting.pin_version("acme", "bakery", 1, d1.deploy_id)
    await hosting.publish_production("acme", "bakery", d1.deploy_id)
    assert await hosting.take_down("acme")
    assert not await hosting.take_down("acme")  # idempotent
    assert not await hosting.take_down("never-deployed")
    assert await hosting.current("acme") == d1.deploy_id  # nothing deleted
    for host in [addr.preview_host("bakery"), addr.version_host("bakery", 1)]:
        status, text = await adapter.fetch(host, "/about/")
        assert status != 200 and "About" not in text, host
    assert await adapter.fetch(addr.production_host("bakery"), "/") == (200, "<h1>v1</h1>")
    # A later deploy (a retried activity) does not bring the preview back.
    await hosting.deploy("acme", make_build(tmp_path / "b2", "v2"), "k2")
    assert (await adapter.fetch(addr.preview_host("bakery"), "/"))[0] != 200
