"""The files of a build as a Pages direct-upload manifest: ``{"/path": hash}`` plus contents.

Real Pages (wrangler) hashes a file as ``blake3(base64(content) + extension)`` truncated to 32
hex digits. ``blake3`` is not a dependency here, so the hash is the same construction with
SHA-256. The asset store only needs a stable content key (Cloudflare does not recompute it), so
uploads work either way; the one difference is deduplication against files wrangler uploaded.

Like ``LocalHosting._copy_tree``, symlinks and special files are skipped, and so are dot-files
(``.env``, ``.git``) except ``.well-known``: a build must never publish what it did not mean
to. ``_headers`` and ``_redirects`` at the root are Pages configuration, sent as their own
form fields rather than as assets, as wrangler does.
"""

from __future__ import annotations

import base64
import hashlib
import mimetypes
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

import structlog

from sitegen.integrations.hosting.base import DeployError

log = structlog.get_logger()

# Pages limits: 25 MiB per file, 20,000 files per deployment.
MAX_FILE_BYTES = 25 * 1024 * 1024
MAX_FILES = 20_000
CONFIG_FILES = ("_headers", "_redirects")
_ALLOWED_DOT_DIRS = {".well-known"}

_TYPES = {
    ".html": "text/html", ".css": "text/css", ".js": "text/javascript",
    ".mjs": "text/javascript", ".json": "application/json", ".svg": "image/svg+xml",
    ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".webp": "image/webp",
    ".avif": "image/avif", ".ico": "image/x-icon", ".woff2": "font/woff2", ".txt": "text/plain",
    ".xml": "application/xml", ".webmanifest": "application/manifest+json",
}  # fmt: skip


def content_hash(content: bytes, name: str) -> str:
    extension = Path(name).suffix.removeprefix(".")
    encoded = base64.b64encode(content).decode() + extension
    return hashlib.sha256(encoded.encode()).hexdigest()[:32]


def content_type(name: str) -> str:
    suffix = Path(name).suffix.lower()
    return _TYPES.get(suffix) or mimetypes.guess_type(name)[0] or "application/octet-stream"


@dataclass
class BuildFiles:
    manifest: dict[str, str] = field(default_factory=dict)  # "/about/index.html" -> hash
    contents: dict[str, tuple[bytes, str]] = field(default_factory=dict)  # hash -> (bytes, type)
    config: dict[str, bytes] = field(default_factory=dict)  # "_headers" -> bytes


def read_build(source: Path) -> BuildFiles:
    """Blocking (reads every file): run it in a thread."""
    if not source.is_dir():
        raise DeployError(f"source directory {source} does not exist")
    if not (source / "index.html").is_file():
        log.warning("hosting.no_index_html", source=str(source))
    files = BuildFiles()
    for dirpath, dirnames, filenames in os.walk(source, followlinks=False):
        rel = Path(dirpath).relative_to(source)
        dirnames[:] = sorted(
            d
            for d in dirnames
            if not os.path.islink(os.path.join(dirpath, d))
            and (not d.startswith(".") or d in _ALLOWED_DOT_DIRS)
        )
        for name in sorted(filenames):
            path = os.path.join(dirpath, name)
            if name.startswith(".") or not stat.S_ISREG(os.lstat(path).st_mode):
                log.warning("hosting.skip_file", path=str(rel / name))
                continue
            data = Path(path).read_bytes()
            if rel == Path(".") and name in CONFIG_FILES:
                files.config[name] = data
                continue
            if len(data) > MAX_FILE_BYTES:
                raise DeployError(f"{rel / name} is larger than Pages' 25 MiB file limit")
            digest = content_hash(data, name)
            files.manifest["/" + (rel / name).as_posix().removeprefix("./")] = digest
            files.contents[digest] = (data, content_type(name))
    if len(files.manifest) > MAX_FILES:
        raise DeployError(f"{len(files.manifest)} files: Pages takes at most {MAX_FILES}")
    return files


def buckets(
    hashes: list[str], files: BuildFiles, max_bytes: int, max_files: int
) -> list[list[str]]:
    """Group uploads so no request body is too large (wrangler: 50 MiB, 5000 files a request)."""
    groups: list[list[str]] = []
    current: list[str] = []
    size = 0
    for digest in hashes:
        # base64 grows content by a third; the bucket limit is on the request body.
        cost = len(files.contents[digest][0]) * 4 // 3 + 200
        if current and (size + cost > max_bytes or len(current) >= max_files):
            groups.append(current)
            current, size = [], 0
        current.append(digest)
        size += cost
    if current:
        groups.append(current)
    return groups


def upload_payload(group: list[str], files: BuildFiles) -> list[dict[str, object]]:
    return [
        {
            "key": digest,
            "value": base64.b64encode(files.contents[digest][0]).decode(),
            "metadata": {"contentType": files.contents[digest][1]},
            "base64": True,
        }
        for digest in group
    ]
