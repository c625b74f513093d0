"""Client images: resized, re-encoded, upright, stripped of metadata, and described for templates."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from PIL import ExifTags, Image, ImageCms
from structlog.testing import capture_logs

from sitegen.integrations.assets.images import (
    MANIFEST_NAME,
    ImageManifest,
    ImageRejected,
    assemble,
    variants,
)

RED, BLUE = (220, 20, 20), (20, 20, 220)


def encode(image: Image.Image, fmt: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def phone_photo() -> bytes:
    """3000x2000 as stored, left half red: shown upright (EXIF orientation 6, rotate 90° clockwise)
    it is 2000x3000 with red on top. It also carries GPS coordinates and an ICC profile."""
    image = Image.new("RGB", (3000, 2000), BLUE)
    image.paste(RED, (0, 0, 1500, 2000))
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6
    exif[ExifTags.Base.Make] = "PhoneCo"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "S"
    gps[ExifTags.GPS.GPSLatitude] = (33.0, 52.0, 4.0)
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    data = encode(image, "JPEG", quality=90, exif=exif, icc_profile=icc)
    with Image.open(io.BytesIO(data)) as check:  # the fixture really has what it claims
        assert check.getexif().get_ifd(ExifTags.IFD.GPSInfo)
    return data


def transparent_logo() -> bytes:
    image = Image.new("RGBA", (300, 100), (0, 0, 0, 0))
    image.paste((200, 30, 30, 255), (10, 10, 90, 90))
    return encode(image, "PNG")


def png_header_only(width: int, height: int) -> bytes:
    """A PNG whose header claims a huge canvas, backed by a few bytes: a decompression bomb."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 64)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def opened(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def assert_no_metadata(data: bytes) -> None:
    image = opened(data)
    assert not image.getexif(), "EXIF survived"
    for key in ("exif", "icc_profile", "xmp", "XML:com.adobe.xmp", "comment"):
        assert key not in image.info, f"{key} survived"
    assert b"PhoneCo" not in data


def test_phone_photo_is_upright_resized_and_stripped() -> None:
    result = variants("image-0", phone_photo(), "image")

    assert sorted(result.files) == sorted(
        f"image-0-{w}.{ext}" for w in (480, 960, 1600) for ext in ("webp", "jpg")
    )
    for name, data in result.files.items():
        assert_no_metadata(data)
        image = opened(data)
        width = int(name.rsplit("-", 1)[1].split(".")[0])
        assert image.size == (width, width * 3 // 2)  # portrait now: the EXIF rotation applied
        assert image.format == ("WEBP" if name.endswith(".webp") else "JPEG")
        top = image.convert("RGB").getpixel((width // 2, image.height // 4))
        bottom = image.convert("RGB").getpixel((width // 2, image.height * 3 // 4))
        assert isinstance(top, tuple) and isinstance(bottom, tuple)
        assert top[0] > 150 > top[2] and bottom[2] > 150 > bottom[0], (name, top, bottom)

    entry = result.entry
    assert (entry.kind, entry.width, entry.height) == ("image", 1600, 2400)
    assert entry.src == "assets/image-0-960.jpg"
    assert entry.type == "image/webp" and entry.fallback_type == "image/jpeg"
    assert [s.width for s in entry.webp] == [480, 960, 1600] == [s.width for s in entry.fallback]
    assert entry.webp[0].src == "assets/image-0-480.webp"
    widths = ", ".join(f"assets/image-0-{w}.webp {w}w" for w in (480, 960, 1600))
    assert entry.webp_srcset == widths
    assert entry.fallback_srcset.startswith("assets/image-0-480.jpg 480w, ")


def test_transparent_logo_gets_two_heights_and_keeps_its_alpha() -> None:
    result = variants("logo", transparent_logo(), "logo")

    assert sorted(result.files) == [
        "logo-144.png",
        "logo-144.webp",
        "logo-288.png",
        "logo-288.webp",
    ]
    for name, data in result.files.items():
        image = opened(data)
        assert image.height in (48, 96) and image.width == image.height * 3
        assert image.mode == "RGBA", name
        lowest, highest = image.getchannel("A").getextrema()
        assert lowest == 0 and highest == 255, name
    entry = result.entry
    assert (entry.width, entry.height) == (288, 96)
    assert entry.fallback_type == "image/png" and entry.src == "assets/logo-288.png"


def test_an_opaque_png_falls_back_to_jpeg() -> None:
    data = encode(Image.new("RGBA", (800, 600), (10, 120, 60, 255)), "PNG")
    result = variants("image-1", data, "image")
    assert result.entry.fallback_type == "image/jpeg"
    assert sorted(result.files) == [
        "image-1-480.jpg",
        "image-1-480.webp",
        "image-1-800.jpg",
        "image-1-800.webp",
    ]


def test_a_small_image_is_never_upscaled() -> None:
    data = encode(Image.new("RGB", (200, 150), RED), "PNG")
    result = variants("image-2", data, "image")
    assert sorted(result.files) == ["image-2-200.jpg", "image-2-200.webp"]
    assert (result.entry.width, result.entry.height) == (200, 150)
    assert result.entry.src == "assets/image-2-200.jpg"
    assert opened(result.files["image-2-200.webp"]).size == (200, 150)


def test_an_animated_gif_becomes_its_first_frame() -> None:
    frames = [Image.new("RGB", (600, 400), colour) for colour in (RED, BLUE)]
    data = encode(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100)
    assert opened(data).n_frames == 2  # type: ignore[attr-defined]
    result = variants("image-3", data, "image")
    still = opened(result.files["image-3-480.webp"]).convert("RGB")
    pixel = still.getpixel((240, 160))
    assert isinstance(pixel, tuple) and pixel[0] > 150 > pixel[2]


@pytest.mark.parametrize(
    "size",
    [(100_000, 100_000), (8_000, 8_000)],
    ids=["past-pillows-own-bound", "past-ours-only"],
)
def test_a_decompression_bomb_is_refused_before_decoding(size: tuple[int, int]) -> None:
    with pytest.raises(ImageRejected) as caught:
        variants("image-0", png_header_only(*size), "image")
    assert caught.value.reason == "image too large"


@pytest.mark.parametrize(
    "data",
    [
        b"definitely not an image" * 10,
        b"\x89PNG\r\n\x1a\n" + b"\x00" * 40,
        b"\xff\xd8\xff" + b"\x13" * 500,
        b"",
    ],
    ids=["text", "broken-png", "broken-jpeg", "empty"],
)
def test_undecodable_bytes_are_refused(data: bytes) -> None:
    with pytest.raises(ImageRejected) as caught:
        variants("image-0", data, "image")
    assert caught.value.reason == "not a readable image"


def test_a_truncated_photo_is_refused() -> None:
    data = phone_photo()
    with pytest.raises(ImageRejected):
        variants("image-0", data[: len(data) // 2], "image")


def test_the_same_input_gives_the_same_bytes() -> None:
    photo, logo = phone_photo(), transparent_logo()
    assert variants("image-0", photo, "image") == variants("image-0", photo, "image")
    assets = [("logo", logo), ("image-0", photo)]
    assert assemble(assets, "public/assets") == assemble(assets, "public/assets")


def test_assemble_writes_variants_and_manifest_and_skips_a_bad_asset() -> None:
    assets = [
        ("logo", transparent_logo()),
        ("image-0", b"<html>not an image</html>"),
        ("image-1", encode(Image.new("RGB", (1200, 800), BLUE), "JPEG")),
        ("logo", encode(Image.new("RGB", (50, 50), RED), "PNG")),  # a second logo: first wins
    ]
    with capture_logs() as logs:
        site = assemble(assets, "public/assets")

    assert site.skipped == ["image-0"]
    assert [(e["event"], e["asset"]) for e in logs] == [("assets.image_skipped", "image-0")]
    manifest = ImageManifest.model_validate_json(site.files[f"public/assets/{MANIFEST_NAME}"])
    assert sorted(manifest.root) == ["image-1", "logo"]
    assert manifest.root["logo"].width == 288  # the first logo's, not the 50 px one's
    assert [s.width for s in manifest.root["image-1"].webp] == [480, 960, 1200]
    referenced = {
        "public/" + source.src
        for entry in manifest.root.values()
        for source in (*entry.webp, *entry.fallback)
    }
    assert referenced | {f"public/assets/{MANIFEST_NAME}"} == set(site.files)


def test_assemble_with_nothing_usable_writes_nothing() -> None:
    site = assemble([("image-0", b"garbage")], "public/assets")
    assert site.files == {} and site.skipped == ["image-0"]
