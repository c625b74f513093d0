"""Client images for the site: resized, re-encoded and stripped, plus a manifest for templates.

A client's logo or photo arrives as whatever their camera or designer produced: 6000 px
wide, rotated by an EXIF flag, carrying GPS coordinates. The site ships none of that: each
image is decoded here (with a bound on its pixel count), turned upright, converted to sRGB,
stripped of every piece of metadata (EXIF, GPS, XMP, ICC, comments: nothing is copied
over), and re-encoded at a few widths as WebP plus one fallback format.

Sizes
    ``logo``: shown 48 px tall, so heights 48 and 96 (2x); widths follow the aspect ratio.
    ``image``: widths 480, 960 and 1600.
    Never upscaled: a target above the original is replaced by the original size, and only
    when that is at least 25% bigger than the next smaller target (a 500 px photo gets
    only 480, a 200 px one gets 200). There is always at least one variant.

Files (relative to the template's assets folder)
    ``{name}-{width}.webp`` (quality 80) and ``{name}-{width}.png`` when the image has real
    transparency, else ``{name}-{width}.jpg`` (quality 82, progressive, optimised).
    Encoding is deterministic: the same input gives the same bytes, so re-running the
    step commits nothing new.

Manifest: ``{assets_dir}/images.json``, read by the template's build engine. One object
keyed by the asset's name (``logo``, ``image-0``, ``image-3``: the index is the asset's
position in the onboarding form's ``assets``; an asset that could not be decoded has no
key). Each value is an :class:`ImageEntry`::

    {
      "logo": {
        "kind": "logo",
        "width": 288,                       # intrinsic size of the largest variant: the
        "height": 96,                       # <img> width/height attributes, aspect ratio
        "src": "assets/logo-288.png",       # <img src>: the fallback at the middle width
        "type": "image/webp",               # <source type> of the `webp` list
        "webp": [{"src": "assets/logo-144.webp", "width": 144},
                 {"src": "assets/logo-288.webp", "width": 288}],
        "webp_srcset": "assets/logo-144.webp 144w, assets/logo-288.webp 288w",
        "fallback_type": "image/png",       # or "image/jpeg"
        "fallback": [{"src": "assets/logo-144.png", "width": 144},
                     {"src": "assets/logo-288.png", "width": 288}],
        "fallback_srcset": "assets/logo-144.png 144w, assets/logo-288.png 288w"
      }
    }

Lists are sorted by width, smallest first. ``src`` paths are relative to the site root
(the template copies its assets folder to ``assets/``).
"""

from __future__ import annotations

import io
import json
import os
import re
import warnings
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Literal, cast

import structlog
from PIL import Image, ImageCms, ImageOps
from pydantic import BaseModel, ConfigDict, RootModel

from sitegen.integrations.assets.fetcher import AssetRejected

log = structlog.get_logger()
# Pillow's warning for a huge header is an error here, caught and refused like any image too
# big (set once for the process: catch_warnings is not thread-safe, and images are decoded
# in threads).
warnings.filterwarnings("error", category=Image.DecompressionBombWarning)

Kind = Literal["logo", "image"]

# 40 MP covers every phone camera's default output; past it an RGBA copy is 160 MB a time.
MAX_PIXELS = 40_000_000
IMAGE_WIDTHS = (480, 960, 1600)
LOGO_HEIGHTS = (48, 96)
# A capped size is only worth its own files when clearly bigger than the step below it.
MIN_STEP = 1.25
MANIFEST_NAME = "images.json"
URL_PREFIX = "assets/"

WEBP_QUALITY = 80
# libwebp's effort 0-6; 4 is near 6's size at about half its time on photos.
WEBP_METHOD = 4
JPEG_QUALITY = 82
# Images made at once; each may hold a decoded 40 MP picture (160 MB), so a few at most.
_IMAGE_WORKERS = min(4, os.cpu_count() or 1)

_FORMATS = {"PNG", "JPEG", "WEBP", "GIF"}
_NAME = re.compile(r"[a-z0-9][a-z0-9-]{0,40}")
_SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


class ImageRejected(AssetRejected):
    """Permanent: the bytes are not a decodable image, or too many pixels to decode safely."""


class ImageSource(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    src: str
    width: int


class ImageEntry(BaseModel):
    """One image in ``images.json``: what a template needs for ``<picture>`` and ``<img>``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Kind
    width: int
    height: int
    src: str
    type: Literal["image/webp"] = "image/webp"
    webp: list[ImageSource]
    webp_srcset: str
    fallback_type: Literal["image/png", "image/jpeg"]
    fallback: list[ImageSource]
    fallback_srcset: str


class ImageManifest(RootModel[dict[str, ImageEntry]]):
    """The whole ``images.json``: asset name → entry."""


@dataclass(frozen=True)
class ImageSet:
    files: dict[str, bytes]  # file name in the assets folder → bytes
    entry: ImageEntry


@dataclass
class SiteImages:
    files: dict[str, bytes] = field(default_factory=dict)  # repo path → bytes
    skipped: list[str] = field(default_factory=list)  # asset names that could not be used


def kind_of(name: str) -> Kind:
    return "logo" if name == "logo" else "image"


def variants(name: str, data: bytes, kind: Kind, url_prefix: str = URL_PREFIX) -> ImageSet:
    """The files and manifest entry for one asset. Raises ImageRejected for bad input."""
    if not _NAME.fullmatch(name):
        raise ValueError(f"asset name must be a plain file stem, got {name!r}")
    image, transparent = _decode(data)
    sizes = _sizes(image.size, kind)
    fallback_ext, fallback_type = ("png", "image/png") if transparent else ("jpg", "image/jpeg")
    files: dict[str, bytes] = {}
    webp: list[ImageSource] = []
    fallback: list[ImageSource] = []
    for width, height in sizes:
        resized = image if (width, height) == image.size else _resize(image, width, height)
        webp_name = f"{name}-{width}.webp"
        fallback_name = f"{name}-{width}.{fallback_ext}"
        files[webp_name] = _webp(resized, try_lossless=kind == "logo")
        files[fallback_name] = _png(resized) if transparent else _jpeg(resized)
        webp.append(ImageSource(src=url_prefix + webp_name, width=width))
        fallback.append(ImageSource(src=url_prefix + fallback_name, width=width))
    largest_width, largest_height = sizes[-1]
    entry = ImageEntry(
        kind=kind,
        width=largest_width,
        height=largest_height,
        src=fallback[len(fallback) // 2].src,
        webp=webp,
        webp_srcset=_srcset(webp),
        fallback_type=fallback_type,
        fallback=fallback,
        fallback_srcset=_srcset(fallback),
    )
    return ImageSet(files=files, entry=entry)


def assemble(assets: Iterable[tuple[str, bytes]], assets_dir: str) -> SiteImages:
    """Every asset's variants and the manifest, as repo paths. `assets` is (name, bytes)
    with name the stored file's stem (``logo``, ``image-2``); a name seen twice keeps its
    first image, as the form's ``logo`` does. An undecodable asset is skipped and logged by
    name (never its URL: it can carry personal data); the others still go in. Images are
    made side by side (Pillow decodes, resizes and encodes without the GIL): 20 photos one
    after another were most of an order's time."""
    unique: dict[str, bytes] = {}
    for name, data in assets:
        unique.setdefault(name, data)
    with ThreadPoolExecutor(max_workers=_IMAGE_WORKERS) as pool:
        made = list(pool.map(_variants_or_rejected, unique.items()))
    site = SiteImages()
    entries: dict[str, ImageEntry] = {}
    for name, image_set in zip(unique, made, strict=True):
        if isinstance(image_set, ImageRejected):
            log.warning("assets.image_skipped", asset=name, reason=image_set.reason)
            site.skipped.append(name)
            continue
        entries[name] = image_set.entry
        site.files.update({f"{assets_dir}/{n}": b for n, b in image_set.files.items()})
    if entries:
        site.files[f"{assets_dir}/{MANIFEST_NAME}"] = manifest_bytes(entries)
    return site


def _variants_or_rejected(named: tuple[str, bytes]) -> ImageSet | ImageRejected:
    name, data = named
    try:
        return variants(name, data, kind_of(name))
    except ImageRejected as exc:
        return exc


def manifest_bytes(entries: dict[str, ImageEntry]) -> bytes:
    """Stable JSON (sorted keys), so an unchanged set of images commits nothing new."""
    data = ImageManifest(entries).model_dump(mode="json")
    return (json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()


# --- decoding ---------------------------------------------------------------------------


def pixel_size(data: bytes) -> tuple[int, int]:
    """Width and height of an image that decodes whole within the caps (ImageRejected if
    not): what an upload is checked with before it is stored."""
    image, _ = _decode(data)
    return image.size


def _decode(data: bytes) -> tuple[Image.Image, bool]:
    """Upright, sRGB, metadata-free pixels in RGB or RGBA, and whether any is transparent."""
    try:
        with Image.open(io.BytesIO(data)) as opened:
            if opened.format not in _FORMATS:
                raise ImageRejected("unsupported image format", str(opened.format))
            # Checked before any pixel is decoded: the header alone says how big it would be.
            width, height = opened.size
            if width * height > MAX_PIXELS:
                raise ImageRejected("image too large", f"{width}x{height} pixels")
            # An animated GIF/WebP: its first frame (what was opened) is the still image.
            icc = opened.info.get("icc_profile")
            upright = ImageOps.exif_transpose(opened)
            upright = _to_srgb(upright, icc)
            return _normalise(upright)
    except ImageRejected:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        # Pillow's own, looser bound, checked when the header is read.
        raise ImageRejected("image too large") from None
    except Exception:
        # Untrusted bytes: Pillow's decoders fail in many ways (OSError, SyntaxError,
        # struct.error, ...); each means the same thing for us.
        raise ImageRejected("not a readable image") from None


def _to_srgb(image: Image.Image, icc: object) -> Image.Image:
    """Pixels in the colour space a browser assumes once the profile is gone: a phone's
    Display P3 photo would otherwise look washed out."""
    if not isinstance(icc, bytes) or image.mode not in ("RGB", "RGBA", "CMYK"):
        return image
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        rgb = image.convert("RGB") if image.mode == "RGBA" else image
        converted = ImageCms.profileToProfile(rgb, source, _SRGB, outputMode="RGB")
    except (ImageCms.PyCMSError, OSError, ValueError):
        return image  # a broken profile: the pixels as they are beat no image
    if converted is None:  # only when converting in place, which this is not
        return image
    if image.mode == "RGBA":
        converted.putalpha(image.getchannel("A"))
    return converted


def _normalise(image: Image.Image) -> tuple[Image.Image, bool]:
    """RGBA when some pixel is see-through, else RGB; `info` emptied so no encoder finds
    metadata (EXIF, XMP, ICC, comments) to copy into the output."""
    if image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        # One band, so (min, max); Pillow's return type also covers multi-band images.
        lowest_alpha, _ = cast(tuple[int, int], rgba.getchannel("A").getextrema())
        if lowest_alpha < 255:
            rgba.info = {}
            return rgba, True
        image = rgba
    rgb = image.convert("RGB")
    rgb.info = {}
    return rgb, False


# --- sizes and encoding -----------------------------------------------------------------


def _sizes(size: tuple[int, int], kind: Kind) -> list[tuple[int, int]]:
    """(width, height) of each variant, smallest first, none bigger than the original."""
    width, height = size
    if kind == "logo":
        heights = _steps(height, LOGO_HEIGHTS)
        pairs = [(max(1, round(width * h / height)), h) for h in heights]
    else:
        widths = _steps(width, IMAGE_WIDTHS)
        pairs = [(w, max(1, round(height * w / width))) for w in widths]
    unique: list[tuple[int, int]] = []
    for pair in pairs:  # a very narrow logo can round two heights to one width
        if not unique or pair[0] > unique[-1][0]:
            unique.append(pair)
    return unique


def _steps(original: int, targets: tuple[int, ...]) -> list[int]:
    kept = [t for t in targets if t <= original]
    if original < targets[-1] and (not kept or original >= kept[-1] * MIN_STEP):
        kept.append(original)
    return kept


def _resize(image: Image.Image, width: int, height: int) -> Image.Image:
    # reducing_gap: a cheap box reduction first on big shrinks, Lanczos for the last step.
    resized = image.resize((width, height), Image.Resampling.LANCZOS, reducing_gap=3.0)
    resized.info = {}
    return resized


def _webp(image: Image.Image, try_lossless: bool) -> bytes:
    lossy = _save(image, "WEBP", quality=WEBP_QUALITY, method=WEBP_METHOD)
    if not try_lossless:
        return lossy
    # Flat-coloured logos are often smaller, and sharper, lossless.
    lossless = _save(image, "WEBP", lossless=True, quality=80, method=WEBP_METHOD)
    return lossless if len(lossless) < len(lossy) else lossy


def _jpeg(image: Image.Image) -> bytes:
    return _save(image, "JPEG", quality=JPEG_QUALITY, progressive=True, optimize=True)


def _png(image: Image.Image) -> bytes:
    return _save(image, "PNG", optimize=True)


def _save(image: Image.Image, fmt: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def _srcset(sources: list[ImageSource]) -> str:
    return ", ".join(f"{s.src} {s.width}w" for s in sources)
