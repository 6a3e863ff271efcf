"""Pictures are checked and re-encoded: only what we decoded is ever stored."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from PIL import Image

from server.errors import Invalid
from server.media.images import MAX_UPLOAD, MediaKind, TooLarge, Unsupported, process
from tests.pictures import animated_gif, opened, picture


def test_process__jpeg_loses_its_exif_and_gps() -> None:
    # Given a photo that says where it was taken, and with what
    data = picture(gps=True)
    assert opened(data).getexif()  # (it does)

    # When it is processed
    result = process(data, MediaKind.image)

    # Then no metadata is left in what is stored
    stored = opened(result.data)
    assert result.media_type == "image/jpeg" and stored.format == "JPEG"
    assert not stored.getexif() and b"SpyCam" not in result.data
    assert "exif" not in stored.info and "comment" not in stored.info


def test_process__exif_orientation_is_applied_before_it_is_dropped() -> None:
    # A 64×48 picture that its EXIF says to turn a quarter (orientation 6)
    result = process(picture(orientation=6), MediaKind.image)
    assert (result.width, result.height) == (48, 64)


def test_process__gif_keeps_its_first_frame() -> None:
    result = process(animated_gif(), MediaKind.image)
    stored = opened(result.data).convert("RGB")
    assert getattr(opened(result.data), "n_frames", 1) == 1
    red, _, blue = stored.getpixel((5, 5))  # type: ignore[misc]
    assert red > 200 and blue < 60


def test_process__transparency_is_kept_as_png() -> None:
    data = picture("PNG", mode="RGBA", color=(0, 128, 0, 100))
    result = process(data, MediaKind.logo)
    assert result.media_type == "image/png" and result.extension == "png"
    assert opened(result.data).getpixel((1, 1))[3] == 100  # type: ignore[index]


def test_process__opaque_webp_becomes_jpeg() -> None:
    result = process(picture("WEBP", mode="RGBA", color=(1, 2, 3, 255)), MediaKind.image)
    assert result.media_type == "image/jpeg"


@pytest.mark.parametrize(
    ("kind", "size", "expected"),
    [
        (MediaKind.avatar, (1000, 600), (400, 400)),
        (MediaKind.avatar, (120, 300), (120, 120)),
        (MediaKind.header, (3000, 2000), (1500, 500)),
        (MediaKind.header, (600, 100), (300, 100)),
        (MediaKind.logo, (1200, 600), (400, 200)),
        (MediaKind.image, (3840, 2160), (1920, 1080)),
        (MediaKind.image, (1080, 3000), (864, 2400)),
        (MediaKind.image, (800, 600), (800, 600)),
    ],
)
def test_process__resizes_to_mastodons_sizes(
    kind: MediaKind, size: tuple[int, int], expected: tuple[int, int]
) -> None:
    result = process(picture("PNG", size), kind)
    assert (result.width, result.height) == expected == opened(result.data).size


@pytest.mark.parametrize(
    "data",
    [
        picture("BMP"),
        picture("TIFF"),
        b"<svg xmlns='http://www.w3.org/2000/svg'/>",
        b"GIF89a but not really",
        b"",
    ],
    ids=["bmp", "tiff", "svg", "fake-gif", "empty"],
)
def test_process__anything_else_is_415(data: bytes) -> None:
    with pytest.raises(Unsupported) as refused:
        process(data, MediaKind.image)
    assert refused.value.status == 415


def test_process__a_truncated_picture_is_422() -> None:
    data = picture("PNG", (300, 300), color=(10, 20, 30))
    with pytest.raises(Invalid):
        process(data[: len(data) // 2], MediaKind.image)


def _png_header_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims a huge picture (a decompression bomb's first bytes)."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    chunk = b"IHDR" + ihdr
    body = struct.pack(">I", len(ihdr)) + chunk + struct.pack(">I", zlib.crc32(chunk))
    idat = zlib.compress(b"\x00" * 100)
    chunk = b"IDAT" + idat
    body += struct.pack(">I", len(idat)) + chunk + struct.pack(">I", zlib.crc32(chunk))
    return b"\x89PNG\r\n\x1a\n" + body


@pytest.mark.parametrize("size", [(10_000, 10_000), (100_000, 100_000)])
def test_process__too_many_pixels_is_refused_before_decoding(size: tuple[int, int]) -> None:
    with pytest.raises(Invalid) as refused:
        process(_png_header_claiming(*size), MediaKind.image)
    assert refused.value.status == 422


def test_process__over_8_mb_is_413() -> None:
    with pytest.raises(TooLarge) as refused:
        process(b"\xff\xd8" + b"\0" * MAX_UPLOAD, MediaKind.image)
    assert refused.value.status == 413


def test_process__output_is_always_decodable() -> None:
    for kind in MediaKind:
        result = process(picture(size=(30, 20)), kind)
        Image.open(io.BytesIO(result.data)).verify()
