import asyncio
import json
import os
import socket
import time
from pathlib import Path

import httpx
import pytest
import uvicorn

from sitegen.integrations.hosting import (
    DeployError,
    Hosting,
    InvalidSiteName,
    LocalHosting,
    SiteAddresses,
    SubdomainTaken,
    VersionPinned,
    make_static_host_app,
)
from sitegen.integrations.hosting.local import deploy_id_for
from sitegen.settings import Settings


@pytest.fixture
def hosting(tmp_path: Path) -> LocalHosting:
    return LocalHosting(tmp_path / "sites", SiteAddresses())


def make_build(root: Path, title: str, with_404: bool = True) -> Path:
    (root / "about").mkdir(parents=True)
    (root / "index.html").write_text(f"<h1>{title}</h1>")
    (root / "about" / "index.html").write_text("<h1>About</h1>")
    (root / "style.css").write_text("body{}")
    (root / "app.js").write_text("console.log(1)")
    (root / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    (root / ".env").write_text("SECRET=1")
    if with_404:
        (root / "404.html").write_text("<h1>Custom 404</h1>")
    return root


async def test_deploy_idempotent_and_versioned(hosting: LocalHosting, tmp_path: Path) -> None:
    assert isinstance(hosting, Hosting)
    src = make_build(tmp_path / "b1", "v1")
    d1 = await hosting.deploy("acme", src, "wf-1:deploy_preview:r0")
    assert d1.created and d1.url == "http://acme.localhost:8080/"
    d2 = await hosting.deploy("acme", src, "wf-1:deploy_preview:r0")
    assert d2 == type(d2)("acme", d1.deploy_id, d1.url, created=False)
    assert await hosting.current("acme") == d1.deploy_id
    deploys = hosting.sites_root / "acme" / "deploys"
    assert [p.name for p in deploys.iterdir()] == [d1.deploy_id]

    src2 = make_build(tmp_path / "b2", "v2")
    d3 = await hosting.deploy("acme", src2, "wf-1:deploy_preview:r1")
    assert d3.created and d3.deploy_id != d1.deploy_id
    assert await hosting.current("acme") == d3.deploy_id
    # replaying an old, finished deploy never rolls current back
    assert not (await hosting.deploy("acme", src, "wf-1:deploy_preview:r0")).created
    assert await hosting.current("acme") == d3.deploy_id
    # immutable folders: the first deploy still has its own content
    assert (deploys / d1.deploy_id / "index.html").read_text() == "<h1>v1</h1>"
    await hosting.activate("acme", d1.deploy_id)  # operator rollback
    assert await hosting.current("acme") == d1.deploy_id


async def test_crash_after_copy_before_activation_recovers(
    hosting: LocalHosting, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = make_build(tmp_path / "b1", "v1")

    def boom(*args: object) -> None:
        raise RuntimeError("worker died")

    monkeypatch.setattr(LocalHosting, "_activate_sync", staticmethod(boom))
    with pytest.raises(RuntimeError):
        await hosting.deploy("acme", src, "k1")
    assert await hosting.current("acme") is None
    monkeypatch.undo()
    d = await hosting.deploy("acme", src, "k1")
    assert d.created
    assert await hosting.current("acme") == d.deploy_id
    assert not (await hosting.deploy("acme", src, "k1")).created


async def test_crash_mid_copy_leaves_nothing_visible(
    hosting: LocalHosting, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sitegen.integrations.hosting.local as local_mod

    src = make_build(tmp_path / "b1", "v1")
    real_copy = local_mod.shutil.copy2
    calls = {"n": 0}

    def flaky_copy(src: str, dst: Path, *, follow_symlinks: bool = True) -> object:
        calls["n"] += 1
        if calls["n"] == 3:
            raise OSError("disk full")
        return real_copy(src, dst, follow_symlinks=follow_symlinks)

    monkeypatch.setattr(local_mod.shutil, "copy2", flaky_copy)
    with pytest.raises(OSError):
        await hosting.deploy("acme", src, "k1")
    deploys = hosting.sites_root / "acme" / "deploys"
    assert list(deploys.iterdir()) == []  # half-copied temp dir removed, nothing published
    monkeypatch.undo()
    d = await hosting.deploy("acme", src, "k1")
    assert (deploys / d.deploy_id / "about" / "index.html").is_file()


async def test_retry_after_a_kill_mid_copy_removes_the_leftovers(
    hosting: LocalHosting, tmp_path: Path
) -> None:
    """A SIGKILL runs no `finally`: the half-copied folder and the half-made link stay
    behind until the retry of the same deploy clears them."""
    src = make_build(tmp_path / "b1", "v1")
    site_dir = hosting.sites_root / "acme"
    deploy_id = deploy_id_for("acme", "k1")
    half = site_dir / "deploys" / f".tmp-{deploy_id}-0123"
    (half / "about").mkdir(parents=True)
    (half / "index.html").write_text("half")
    os.symlink(f"deploys/{deploy_id}", site_dir / ".current-0123")
    old = time.time() - 3600
    os.utime(site_dir / ".current-0123", (old, old), follow_symlinks=False)
    os.symlink(f"deploys/{deploy_id}", site_dir / ".current-4567")  # another's, in flight
    d = await hosting.deploy("acme", src, "k1")
    assert d.created
    assert [p.name for p in (site_dir / "deploys").iterdir()] == [deploy_id]
    assert sorted(p.name for p in site_dir.iterdir()) == [
        ".current-4567",
        "current",
        "deploys",
        "meta",
    ]


async def test_deploy_skips_symlinks(hosting: LocalHosting, tmp_path: Path) -> None:
    src = make_build(tmp_path / "b1", "v1")
    os.symlink("/etc/passwd", src / "passwd.txt")
    os.symlink("/etc", src / "etc")
    d = await hosting.deploy("acme", src, "k1")
    folder = hosting.sites_root / "acme" / "deploys" / d.deploy_id
    assert not (folder / "passwd.txt").exists() and not (folder / "etc").exists()


async def test_subdomains(hosting: LocalHosting, tmp_path: Path) -> None:
    await hosting.deploy("acme", make_build(tmp_path / "b", "acme"), "k1")
    await hosting.deploy("other", make_build(tmp_path / "o", "other"), "k1")
    r1 = await hosting.ensure_subdomain("acme", "acme-bakery")
    assert r1.created and r1.hostname == "acme-bakery.localhost"
    assert r1.url == "http://acme-bakery.localhost:8080/"
    assert not (await hosting.ensure_subdomain("acme", "acme-bakery")).created
    with pytest.raises(SubdomainTaken):
        await hosting.ensure_subdomain("other", "acme-bakery")
    with pytest.raises(SubdomainTaken):
        await hosting.ensure_subdomain("acme", "other")
    with pytest.raises(InvalidSiteName):
        await hosting.ensure_subdomain("acme", "Bad_Name")
    with pytest.raises(InvalidSiteName):
        await hosting.deploy("../x", tmp_path, "k")


@pytest.fixture
async def client(hosting: LocalHosting, tmp_path: Path) -> httpx.AsyncClient:
    await hosting.deploy("acme", make_build(tmp_path / "b", "Acme"), "k1")
    await hosting.deploy("plain", make_build(tmp_path / "p", "Plain", with_404=False), "k1")
    await hosting.ensure_subdomain("acme", "bakery")
    (tmp_path / "secret.txt").write_text("TOP SECRET")
    current = hosting.sites_root / "acme" / "current"
    os.symlink(tmp_path / "secret.txt", current.resolve() / "leak.txt")
    transport = httpx.ASGITransport(app=make_static_host_app(hosting.sites_root))
    return httpx.AsyncClient(transport=transport, base_url="http://acme.localhost:8080")


async def test_serves_files_with_types(client: httpx.AsyncClient) -> None:
    r = await client.get("/")
    assert r.status_code == 200 and r.text == "<h1>Acme</h1>"
    assert r.headers["content-type"].startswith("text/html")
    assert r.headers["cache-control"] == "no-cache"
    assert (await client.get("/about/")).text == "<h1>About</h1>"
    redirect = await client.get("/about?x=1")
    assert redirect.status_code == 308 and redirect.headers["location"] == "/about/?x=1"
    assert (await client.get("/style.css")).headers["content-type"].startswith("text/css")
    assert (await client.get("/app.js")).headers["content-type"].startswith("text/javascript")
    png = await client.get("/logo.png")
    assert png.headers["content-type"] == "image/png"
    assert png.headers["x-content-type-options"] == "nosniff"
    head = await client.head("/index.html")
    assert head.status_code == 200 and head.content == b""
    etag = png.headers["etag"]
    assert (await client.get("/logo.png", headers={"if-none-match": etag})).status_code == 304
    assert (await client.post("/")).status_code == 405


async def test_host_variants(client: httpx.AsyncClient) -> None:
    for host in ["acme.localhost", "ACME.localhost:1234", "bakery.localhost", "acme.example.com"]:
        r = await client.get("/", headers={"host": host})
        assert r.text == "<h1>Acme</h1>", host
    for host in ["localhost", "nope.localhost", "127.0.0.1:8080", "[::1]:8080", "_hosts.localhost",
                 "..localhost", ""]:  # fmt: skip
        r = await client.get("/", headers={"host": host})
        assert r.status_code == 404, host
        assert "acme" not in r.text and "Acme" not in r.text


async def test_404_and_traversal(client: httpx.AsyncClient) -> None:
    r = await client.get("/missing")
    assert r.status_code == 404 and r.text == "<h1>Custom 404</h1>"
    plain = await client.get("/missing", headers={"host": "plain.localhost"})
    assert plain.status_code == 404 and plain.text == "404 Not Found"
    for path in ["/../../secret.txt", "/%2e%2e/%2e%2e/secret.txt", "/leak.txt", "/.env",
                 "/..%2f..%2fsecret.txt", "/about/../../deploys"]:  # fmt: skip
        r = await client.get(path)
        assert r.status_code in (404, 400), path
        assert "TOP SECRET" not in r.text and "SECRET=1" not in r.text


async def test_real_uvicorn_server(hosting: LocalHosting, tmp_path: Path) -> None:
    await hosting.deploy("acme", make_build(tmp_path / "b", "Live"), "k1")
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(make_static_host_app(hosting.sites_root), log_level="warning",
                            lifespan="on")  # fmt: skip
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        for _ in range(200):
            if server.started:
                break
            await asyncio.sleep(0.01)
        async with httpx.AsyncClient() as c:
            r = await c.get(f"http://127.0.0.1:{port}/", headers={"host": f"acme.localhost:{port}"})
        assert r.status_code == 200 and r.text == "<h1>Live</h1>"
    finally:
        server.should_exit = True
        await task
        sock.close()


def test_site_addresses() -> None:
    a = SiteAddresses()
    assert a.preview("acme") == "http://acme.localhost:8080/"
    assert a.version("acme", 3) == "http://acme--v3.localhost:8080/"
    assert a.production("acme") == "http://acme.live.localhost:8080/"
    assert a.hostname(a.version("acme", 3)) == "acme--v3.localhost"
    tls = SiteAddresses("preview.example", "example.net", port=443, scheme="https")
    assert tls.preview("acme") == "https://acme.preview.example/"
    assert SiteAddresses(port=None).production("acme") == "http://acme.live.localhost/"
    assert SiteAddresses(port=80).preview("acme") == "http://acme.localhost/"
    for bad in [{"production_domain": "localhost"}, {"preview_domain": "bad_domain"},
                {"port": 0}, {"scheme": "ftp"}]:  # fmt: skip
        with pytest.raises(ValueError):
            SiteAddresses(**bad)  # type: ignore[arg-type]
    settings = Settings(public_base_domain="preview.test", production_base_domain="sites.test",
                        hosting_port=9000)  # fmt: skip
    assert settings.addresses == SiteAddresses("preview.test", "sites.test", 9000)
    assert settings.preview_url("acme") == "http://acme.preview.test:9000/"


def served(hosting: LocalHosting) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=make_static_host_app(hosting.sites_root))
    return httpx.AsyncClient(transport=transport, base_url="http://x.localhost:8080")


async def page(c: httpx.AsyncClient, host: str, path: str = "/") -> tuple[int, str]:
    r = await c.get(path, headers={"host": host})
    return r.status_code, r.text


async def test_version_pins_are_immutable(hosting: LocalHosting, tmp_path: Path) -> None:
    d1 = await hosting.deploy("acme", make_build(tmp_path / "b1", "v1"), "k1")
    r1 = await hosting.pin_version("acme", "bakery", 1, d1.deploy_id)
    assert r1.created and r1.hostname == "bakery--v1.localhost"
    assert r1.url == "http://bakery--v1.localhost:8080/"
    d2 = await hosting.deploy("acme", make_build(tmp_path / "b2", "v2"), "k2")
    await hosting.pin_version("acme", "bakery", 2, d2.deploy_id)
    d3 = await hosting.deploy("acme", make_build(tmp_path / "b3", "v3"), "k3")
    async with served(hosting) as c:
        assert await page(c, "bakery--v1.localhost:8080") == (200, "<h1>v1</h1>")
        assert await page(c, "bakery--v2.localhost") == (200, "<h1>v2</h1>")
        assert await page(c, "bakery--v1.localhost", "/about/") == (200, "<h1>About</h1>")
        assert await page(c, "bakery.localhost") == (200, "<h1>v3</h1>")  # preview: current
        assert (await page(c, "bakery--v3.localhost"))[0] == 404  # not pinned
    again = await hosting.pin_version("acme", "bakery", 1, d1.deploy_id)
    assert again == type(again)(r1.hostname, r1.url, created=False)
    with pytest.raises(VersionPinned):
        await hosting.pin_version("acme", "bakery", 1, d3.deploy_id)
    with pytest.raises(DeployError):
        await hosting.pin_version("acme", "bakery", 4, "d-0000000000")
    with pytest.raises(DeployError):
        await hosting.pin_version("acme", "bakery", 4, "../../etc")
    for sub, n in [("bakery", 0), ("a" * 60, 100), ("x--y", 1), ("Bakery", 1)]:
        with pytest.raises(InvalidSiteName):
            await hosting.pin_version("acme", sub, n, d1.deploy_id)
    # The subdomain is acme's now: another site can't pin versions under it.
    other = await hosting.deploy("other", make_build(tmp_path / "o", "other"), "k1")
    with pytest.raises(SubdomainTaken):
        await hosting.pin_version("other", "bakery", 9, other.deploy_id)


async def test_production_and_activate_false(hosting: LocalHosting, tmp_path: Path) -> None:
    preview = await hosting.deploy("acme", make_build(tmp_path / "b1", "preview"), "k1")
    prod = await hosting.deploy("acme", make_build(tmp_path / "b2", "prod"), "p1", activate=False)
    assert prod.created and await hosting.current("acme") == preview.deploy_id
    # A retry of the stored deploy never activates it.
    assert not (await hosting.deploy("acme", tmp_path / "b2", "p1")).created
    assert await hosting.current("acme") == preview.deploy_id
    async with served(hosting) as c:
        assert (await page(c, "bakery.live.localhost"))[0] == 404  # never the preview
        r = await hosting.publish_production("acme", "bakery", prod.deploy_id)
        assert r.created and r.url == "http://bakery.live.localhost:8080/"
        assert r.hostname == "bakery.live.localhost"
        assert not (await hosting.publish_production("acme", "bakery", prod.deploy_id)).created
        assert await page(c, "bakery.live.localhost:8080") == (200, "<h1>prod</h1>")
        assert await page(c, "bakery.localhost") == (200, "<h1>preview</h1>")
        later = await hosting.deploy(
            "acme", make_build(tmp_path / "b3", "v2"), "p2", activate=False
        )
        assert (await hosting.publish_production("acme", "bakery", later.deploy_id)).created
        assert await page(c, "bakery.live.localhost") == (200, "<h1>v2</h1>")
    other = await hosting.deploy("other", make_build(tmp_path / "o", "other"), "k1")
    with pytest.raises(SubdomainTaken):
        await hosting.publish_production("other", "bakery", other.deploy_id)
    with pytest.raises(DeployError):
        await hosting.publish_production("acme", "bakery", other.deploy_id)  # not acme's


async def test_take_down(hosting: LocalHosting, tmp_path: Path) -> None:
    d1 = await hosting.deploy("acme", make_build(tmp_path / "b1", "v1"), "k1")
    await hosting.ensure_subdomain("acme", "bakery")
    await hosting.pin_version("acme", "bakery", 1, d1.deploy_id)
    await hosting.publish_production("acme", "bakery", d1.deploy_id)
    before = sorted(p.relative_to(hosting.sites_root) for p in hosting.sites_root.rglob("*"))
    assert await hosting.take_down("acme")
    assert not await hosting.take_down("acme")  # idempotent
    assert not await hosting.take_down("never-deployed")
    after = sorted(p.relative_to(hosting.sites_root) for p in hosting.sites_root.rglob("*"))
    assert set(before) <= set(after)  # nothing deleted (only the marker added)
    assert await hosting.current("acme") == d1.deploy_id
    async with served(hosting) as c:
        for host in ["bakery.localhost", "acme.localhost", "bakery--v1.localhost:8080"]:
            status, text = await page(c, host, "/about/")
            assert status == 410 and "no longer available" in text, host
            assert "About" not in text
        assert await page(c, "bakery.live.localhost") == (200, "<h1>v1</h1>")
        # A later deploy (e.g. a retried activity) does not bring the preview back.
        await hosting.deploy("acme", make_build(tmp_path / "b2", "v2"), "k2")
        assert (await page(c, "bakery.localhost"))[0] == 410


async def test_hostile_hosts_and_records(hosting: LocalHosting, tmp_path: Path) -> None:
    d1 = await hosting.deploy("acme", make_build(tmp_path / "b1", "Acme"), "k1")
    await hosting.pin_version("acme", "acme", 1, d1.deploy_id)
    await hosting.publish_production("acme", "acme", d1.deploy_id)
    (tmp_path / "secret").mkdir()
    (tmp_path / "secret" / "index.html").write_text("TOP SECRET")
    hosts = hosting.sites_root / "_hosts"
    os.symlink(tmp_path / "secret", hosting.sites_root / "acme" / "deploys" / "d-evil")
    live = json.dumps({"site": "acme", "deploy": d1.deploy_id})
    records = {
        "garbage--v1.localhost": "{not json",
        "list--v1.localhost": "[1, 2]",
        "num--v1.localhost": '{"site": 123}',
        "dots--v1.localhost": '{"site": "acme", "deploy": "../../../secret"}',
        "evil--v1.localhost": '{"site": "acme", "deploy": "d-evil"}',
        "other--v1.localhost": '{"site": "..", "deploy": "d-x"}',
        "fake.live.localhost": live,  # no production flag: not served on a production host
        "yes.live.localhost": live[:-1] + ', "production": "yes"}',
    }
    for name, text in records.items():
        (hosts / f"{name}.json").write_text(text)
    os.symlink("/etc/passwd", hosts / "passwd--v1.localhost.json")
    async with served(hosting) as c:
        assert await page(c, "acme--v1.localhost") == (200, "<h1>Acme</h1>")
        assert await page(c, "acme.live.localhost") == (200, "<h1>Acme</h1>")
        for name in [*records, "passwd--v1.localhost"]:
            status, text = await page(c, name)
            assert status == 404 and "SECRET" not in text and "Acme" not in text, name
        for host in ["acme--v1.localhost/../x", "../_hosts.localhost", "acme--v1..localhost",
                     "_hosts/acme--v1.localhost", "acme--v1.localhost\\..", "a" * 300 + ".x"]:  # fmt: skip
            status, text = await page(c, host)
            assert status in (400, 404) and "Acme" not in text, host
        for path in ["/../../secret/index.html", "/%2e%2e/%2e%2e/secret", "/leak.txt", "/.env"]:
            for host in ["acme--v1.localhost", "acme.live.localhost"]:
                status, text = await page(c, host, path)
                assert status == 404 and "SECRET" not in text, (host, path)
