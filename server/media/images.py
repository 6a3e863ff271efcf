"""Pictures checked and re-encoded with Pillow: what is stored is never what was sent.

Only JPEG, PNG, WebP and GIF (its first frame) are read, whatever the upload's name or declared
type says. The picture is turned upright (EXIF orientation), resized to the sizes Mastodon uses
(avatars 400×400 and headers 1500×500, both cropped; attachments within 1920×1080 pixels' worth,
keeping their ratio) and encoded again, which leaves every metadata (EXIF, GPS, comments)
behind: JPEG for opaque pictures, PNG where transparency shows.
"""

from __future__ import annotations

import io
import math
import threading
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from PIL import Image, ImageOps, UnidentifiedImageError

from server.errors import Invalid, ServiceError
from server.http.limits import MAX_PICTURE
from server.i18n import N_

__all__ = [
    "MAX_PIXELS",
    "MAX_UPLOAD",
    "MediaKind",
    "Picture",
    "TooLarge",
    "Unsupported",
    "process",
    "too_large",
]

#: The largest upload read (Mastodon accepts 16 MB; people's photos fit in 8).
MAX_UPLOAD: Final = MAX_PICTURE
#: The most pixels decoded (Mastodon's 7680×4320): a small file may claim a huge picture.
MAX_PIXELS: Final = 7680 * 4320
#: Decoders Pillow may use; any other file is refused before a pixel is read.
_FORMATS: Final = ("JPEG", "PNG", "WEBP", "GIF")
#: An attachment's largest area (Mastodon's 1920×1080), whatever its ratio.
_ATTACHMENT_AREA: Final = 1920 * 1080
_JPEG_QUALITY: Final = 85
#: Pictures decoded at once by a process: each may take ``MAX_PIXELS`` × 4 bytes of memory.
_DECODING: Final = threading.BoundedSemaphore(2)


class MediaKind(StrEnum):
    """What a picture is for: it decides its size and where it is published."""

    avatar = "avatar"
    header = "header"
    logo = "logo"
    image = "image"


class Unsupported(ServiceError):
    """Not a picture we read (415)."""

    status = 415


class TooLarge(ServiceError):
    """An upload over ``MAX_UPLOAD`` (413)."""

    status = 413


@dataclass(frozen=True)
class Picture:
    """A re-encoded picture, ready to be stored."""

    data: bytes
    media_type: str
    extension: str
    width: int
    height: int


def too_large() -> TooLarge:
    """Return the refusal of an upload over ``MAX_UPLOAD``."""
    megabytes = MAX_UPLOAD // (1024 * 1024)
    return TooLarge(N_("a picture is at most {megabytes} MB"), field="file", megabytes=megabytes)


def process(data: bytes, kind: MediaKind) -> Picture:
    """Return ``data`` re-encoded as a picture of ``kind`` (CPU-bound: run it on a thread).

    Raises ``TooLarge`` (413) over ``MAX_UPLOAD``, ``Unsupported`` (415) for anything but
    JPEG, PNG, WebP or GIF, ``Invalid`` (422) for a broken file or one of too many pixels.
    """
    if len(data) > MAX_UPLOAD:
        raise too_large()
    with _DECODING:
        return _process(data, kind)


def _process(data: bytes, kind: MediaKind) -> Picture:
    # Pillow warns past 89 megapixels (an error where warnings are errors, as in the tests)
    # and refuses past twice that; ``MAX_PIXELS`` refuses them all before any decoding.
    # ``warnings.catch_warnings`` is not used: it is not safe on threads.
    try:
        source = Image.open(io.BytesIO(data), formats=_FORMATS)
    except UnidentifiedImageError:
        raise Unsupported(
            N_("only JPEG, PNG, WebP and GIF pictures are accepted"), field="file"
        ) from None
    except (OSError, ValueError, Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise Invalid(N_("this picture cannot be read"), field="file") from None
    with source:
        width, height = source.size
        if width < 1 or height < 1 or width * height > MAX_PIXELS:
            raise Invalid(
                N_("a picture has at most {megapixels} megapixels"),
                field="file",
                megapixels=MAX_PIXELS // 1_000_000,
            )
        try:
            source.seek(0)  # a GIF's first frame
            picture = ImageOps.exif_transpose(source)
            picture.load()
        except (OSError, ValueError, SyntaxError, EOFError):
            raise Invalid(N_("this picture is damaged or truncated"), field="file") from None
    return _encode(_resized(_flattened(picture), kind))


def _flattened(picture: Image.Image) -> Image.Image:
    """Return RGB, or RGBA when some pixel is not fully opaque."""
    has_alpha = picture.mode in ("RGBA", "LA", "PA") or "transparency" in picture.info
    if not has_alpha:
        return picture.convert("RGB")
    rgba = picture.convert("RGBA")
    opaque = rgba.getchannel("A").getextrema() == (255, 255)
    return rgba.convert("RGB") if opaque else rgba


def _resized(picture: Image.Image, kind: MediaKind) -> Image.Image:
    width, height = picture.size
    if kind is MediaKind.avatar:
        side = min(width, height, 400)
        return ImageOps.fit(picture, (side, side), Image.Resampling.LANCZOS)
    if kind is MediaKind.header:
        wide = min(width, 1500, height * 3)
        return ImageOps.fit(picture, (wide, max(1, wide // 3)), Image.Resampling.LANCZOS)
    if kind is MediaKind.logo:
        picture = picture.copy()
        picture.thumbnail((400, 400), Image.Resampling.LANCZOS)
        return picture
    if width * height <= _ATTACHMENT_AREA:
        return picture
    scale = math.sqrt(_ATTACHMENT_AREA / (width * height))
    size = (max(1, int(width * scale)), max(1, int(height * scale)))
    return picture.resize(size, Image.Resampling.LANCZOS)


def _encode(picture: Image.Image) -> Picture:
    out = io.BytesIO()
    if picture.mode == "RGBA":
        picture.save(out, format="PNG", optimize=True)
        media_type, extension = "image/png", "png"
    else:
        picture.save(out, format="JPEG", quality=_JPEG_QUALITY, optimize=True, progressive=True)
        media_type, extension = "image/jpeg", "jpg"
    width, height = picture.size
    return Picture(out.getvalue(), media_type, extension, width, height)
