"""Static host for LocalHosting: picks a site and one of its deploys by the Host header.

The hostname (port dropped) is looked up in this order (records: see ``records.py``):

1. ``_hosts/{hostname}.json``: a version address (``acme--v3.localhost``, one deploy forever)
   or a production address (``acme.live.localhost``, the deploy chosen at delivery);
2. ``_hosts/{first label}.json``: a preview subdomain, serving ``{site}/current``;
3. the first label as a site name (``{site}.localhost`` or ``{site}.<any domain>``).

Hostnames under the production domain resolve through step 1 only, so a production address
never falls back to the unapproved preview. A taken-down site answers 410 on its preview and
version addresses and keeps serving production. Records that don't parse are ignored.

Requests can never leave the deploy folder: ``..`` and dot-file segments are refused and the
fully resolved path (after any symlink) must still be inside the resolved deploy root.
"""

from __future__ import annotations

import asyncio
import mimetypes
import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import (
    FileResponse,
    HTMLResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
)
from starlette.routing import Route
from starlette.types import ASGIApp

from sitegen.integrations.hosting.base import InvalidSiteName, SiteAddresses, validate_label
from sitegen.integrations.hosting.records import (
    HostRecord,
    is_taken_down,
    read_record,
    record_path,
    validate_hostname,
)

# Don't depend on the host's /etc/mime.types for the types a website needs.
_TYPES = {
    ".html": "text/html", ".htm": "text/html", ".css": "text/css",
    ".js": "text/javascript", ".mjs": "text/javascript", ".json": "application/json",
    ".svg": "image/svg+xml", ".png": "image/png", ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg", ".gif": "image/gif", ".webp": "image/webp", ".avif": "image/avif",
    ".ico": "image/x-icon", ".woff": "font/woff", ".woff2": "font/woff2", ".txt": "text/plain",
    ".xml": "application/xml", ".webmanifest": "application/manifest+json",
    ".wasm": "application/wasm", ".pdf": "application/pdf", ".map": "application/json",
}  # fmt: skip

_UNKNOWN_HOST_PAGE = (
    "<!doctype html><html><head><meta charset='utf-8'><title>Not found</title></head>"
    "<body><h1>404</h1><p>There is no site at this address.</p></body></html>"
)
_GONE_PAGE = (
    "<!doctype html><html><head><meta charset='utf-8'><title>No longer available</title>"
    "</head><body><h1>410</h1><p>This preview is no longer available.</p></body></html>"
)


@dataclass(frozen=True)
class _Resolved:
    kind: str  # "file", "redirect", "not_found", "unknown_host", "gone"
    path: Path | None = None
    status: int = 200


def _content_type(path: Path) -> str:
    ext = path.suffix.lower()
    return _TYPES.get(ext) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"


def _route_for_host(sites_root: Path, host: str, addresses: SiteAddresses) -> HostRecord | None:
    host = host.strip().lower()
    if not host or host.startswith("["):  # bare IPv6 literal: no name to pick a site by
        return None
    hostname = host.split(":", 1)[0].rstrip(".")
    labels = hostname.split(".")
    if len(labels) < 2:
        return None
    production_host = addresses.is_production_host(hostname)
    try:
        record = read_record(record_path(sites_root, validate_hostname(hostname)))
    except InvalidSiteName:
        record = None
    if record is not None:
        return record if record.production or not production_host else None
    if production_host:
        return None
    try:
        name = validate_label(labels[0])
    except InvalidSiteName:
        return None
    preview = read_record(record_path(sites_root, name))
    # A first-label record only ever names the site; its `current` deploy is served.
    return HostRecord(preview.site if preview else name)


def _inside(root: Path, path: Path) -> bool:
    return path == root or root in path.parents


def resolve_request(
    sites_root: Path, host: str, url_path: str, addresses: SiteAddresses | None = None
) -> _Resolved:
    """Map (Host, path) to a file; blocking, so it runs in a thread."""
    route = _route_for_host(sites_root, host, addresses or SiteAddresses())
    if route is None:
        return _Resolved("unknown_host")
    site_dir = sites_root / route.site
    if not route.production and is_taken_down(site_dir):
        return _Resolved("gone")
    served = site_dir / "deploys" / route.deploy if route.deploy else site_dir / "current"
    try:
        root = served.resolve(strict=True)
    except OSError:
        return _Resolved("unknown_host")
    # Whatever `current` or a record says, only one of this site's own deploys is served.
    if root.parent != site_dir / "deploys" or not root.is_dir():
        return _Resolved("unknown_host")

    def not_found() -> _Resolved:
        page = root / "404.html"
        if page.is_file() and _inside(root, page.resolve()):
            return _Resolved("file", page.resolve(), 404)
        return _Resolved("not_found")

    parts = [p for p in url_path.split("/") if p not in ("", ".")]
    if any(p == ".." or p.startswith(".") or "\\" in p or "\0" in p for p in parts):
        return not_found()
    try:
        target = root.joinpath(*parts).resolve(strict=True)
    except (OSError, RuntimeError):  # missing, or a symlink loop
        return not_found()
    if not _inside(root, target):
        return not_found()  # a symlink that points outside the deploy
    if target.is_dir():
        if parts and not url_path.endswith("/"):
            return _Resolved("redirect")  # relative links in index.html need the slash
        index = target / "index.html"
        if index.is_file() and _inside(root, index.resolve()):
            return _Resolved("file", index.resolve())
        return not_found()
    if target.is_file():
        return _Resolved("file", target)
    return not_found()


def make_static_host_app(sites_root: Path, addresses: SiteAddresses | None = None) -> ASGIApp:
    """``addresses`` tells which hostnames are production ones (default: ``*.live.localhost``)."""
    root = Path(sites_root).resolve()
    addrs = addresses or SiteAddresses()

    async def serve(request: Request) -> Response:
        host = request.headers.get("host", "")
        res = await asyncio.to_thread(resolve_request, root, host, request.url.path, addrs)
        if res.kind == "unknown_host":
            return HTMLResponse(_UNKNOWN_HOST_PAGE, 404, headers={"Cache-Control": "no-cache"})
        if res.kind == "gone":
            return HTMLResponse(_GONE_PAGE, 410, headers={"Cache-Control": "no-cache"})
        if res.kind == "redirect":
            # Relative Location (path only): never redirect to whatever Host the client sent.
            query = f"?{request.url.query}" if request.url.query else ""
            return RedirectResponse(quote(request.url.path) + "/" + query, 308)
        if res.kind == "not_found" or res.path is None:
            return PlainTextResponse("404 Not Found", 404, headers={"Cache-Control": "no-cache"})
        ctype = _content_type(res.path)
        stat = await asyncio.to_thread(os.stat, res.path)
        headers = {
            "X-Content-Type-Options": "nosniff",
            # Deploy URLs are not content-hashed, so every response revalidates (cheap: ETag).
            "Cache-Control": "no-cache",
        }
        response = FileResponse(res.path, status_code=res.status, media_type=ctype,
                                headers=headers, stat_result=stat)  # fmt: skip
        etag = response.headers.get("etag")
        inm = request.headers.get("if-none-match")
        if res.status == 200 and etag and inm and etag in (t.strip() for t in inm.split(",")):
            return Response(status_code=304, headers={"ETag": etag, **headers})
        return response

    return Starlette(routes=[Route("/{path:path}", serve, methods=["GET", "HEAD"])])
