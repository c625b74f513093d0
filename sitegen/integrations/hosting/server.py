"""Static host for LocalHosting: serves ``{sites_root}/{site}/current/`` by Host header.

``{name}.localhost[:port]`` (or ``{name}.<any domain>``) picks the site: a subdomain record in
``_hosts/{name}.json`` wins, otherwise ``name`` is the site itself. Requests can never leave the
deploy folder: ``..`` and dot-file segments are refused and the fully resolved path (after any
symlink) must still be inside the resolved deploy root.
"""

from __future__ import annotations

import asyncio
import json
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

from sitegen.integrations.hosting.base import InvalidSiteName, validate_label
from sitegen.integrations.hosting.local import HOSTS_DIR

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


@dataclass(frozen=True)
class _Resolved:
    kind: str  # "file", "redirect", "not_found", "unknown_host"
    path: Path | None = None
    status: int = 200


def _content_type(path: Path) -> str:
    ext = path.suffix.lower()
    return _TYPES.get(ext) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"


def _site_for_host(sites_root: Path, host: str) -> str | None:
    host = host.strip().lower()
    if not host or host.startswith("["):  # bare IPv6 literal: no name to pick a site by
        return None
    labels = host.split(":", 1)[0].rstrip(".").split(".")
    if len(labels) < 2:
        return None
    try:
        name = validate_label(labels[0])
    except InvalidSiteName:
        return None
    try:
        record = json.loads((sites_root / HOSTS_DIR / f"{name}.json").read_text())
        return validate_label(str(record["site"]))
    except (OSError, ValueError, KeyError, InvalidSiteName):
        return name


def _inside(root: Path, path: Path) -> bool:
    return path == root or root in path.parents


def resolve_request(sites_root: Path, host: str, url_path: str) -> _Resolved:
    """Map (Host, path) to a file; blocking, so it runs in a thread."""
    site = _site_for_host(sites_root, host)
    if site is None:
        return _Resolved("unknown_host")
    try:
        root = (sites_root / site / "current").resolve(strict=True)
    except OSError:
        return _Resolved("unknown_host")
    if not _inside(sites_root / site, root) or not root.is_dir():
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


def make_static_host_app(sites_root: Path) -> ASGIApp:
    root = Path(sites_root).resolve()

    async def serve(request: Request) -> Response:
        host = request.headers.get("host", "")
        res = await asyncio.to_thread(resolve_request, root, host, request.url.path)
        if res.kind == "unknown_host":
            return HTMLResponse(_UNKNOWN_HOST_PAGE, 404, headers={"Cache-Control": "no-cache"})
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
