"""Pictures made with Pillow for the media tests: nothing downloaded, nothing binary in git."""

from __future__ import annotations

import io

from PIL import Image

#: EXIF tags: the camera's make, and GPSInfo (34853) with a latitude.
_MAKE, _GPS_INFO, _ORIENTATION = 0x010F, 0x8825, 0x0112


def picture(
    fmt: str = "JPEG",
    size: tuple[int, int] = (64, 48),
    *,
    mode: str = "RGB",
    color: tuple[int, ...] = (200, 60, 30),
    gps: bool = False,
    orientation: int | None = None,
) -> bytes:
    """Return a picture in ``fmt``; ``gps`` adds EXIF with a camera make and a position."""
    image = Image.new(mode, size, color)
    out = io.BytesIO()
    options: dict[str, object] = {}
    if gps or orientation:
        exif = Image.Exif()
        if gps:
            exif[_MAKE] = "SpyCam"
            exif.get_ifd(_GPS_INFO)[2] = (48.0, 51.0, 24.0)  # GPSLatitude
        if orientation:
            exif[_ORIENTATION] = orientation
        options["exif"] = exif
    image.save(out, format=fmt, **options)
    return out.getvalue()


def animated_gif() -> bytes:
    """Return a two-frame GIF: red, then blue."""
    frames = [Image.new("RGB", (20, 10), c) for c in ((255, 0, 0), (0, 0, 255))]
    out = io.BytesIO()
    frames[0].save(out, format="GIF", save_all=True, append_images=frames[1:], duration=100)
    return out.getvalue()


def opened(data: bytes) -> Image.Image:
    """Return ``data`` opened with Pillow."""
    return Image.open(io.BytesIO(data))
