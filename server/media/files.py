"""The media directory: pictures named by the SHA-256 of their bytes.

A name is 64 hexadecimal digits under a two-digit folder (``ab/ab…ef.jpg``): it cannot collide,
cannot be guessed from an upload's name, and holds nothing a path could be bent with. The same
path follows ``/media/``, so a reverse proxy serves the directory as it is (docs/deploy.md).
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
from pathlib import Path
from typing import Final

from server.media.images import Picture

__all__ = ["MEDIA_PATH", "MediaFiles", "content_path"]

#: A stored picture's path, relative to the media directory (and to ``/media/``).
MEDIA_PATH: Final = re.compile(r"(?P<folder>[0-9a-f]{2})/(?P=folder)[0-9a-f]{62}\.(?:jpg|png)")


def content_path(picture: Picture) -> tuple[str, str]:
    """Return the SHA-256 of ``picture`` and its relative path."""
    digest = hashlib.sha256(picture.data).hexdigest()
    return digest, f"{digest[:2]}/{digest}.{picture.extension}"


class MediaFiles:
    """The files of ``COMMUNS_MEDIA_DIR``."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def locate(self, path: str) -> Path | None:
        """Return where the picture of ``path`` would be, or None for a path we never make."""
        return self.root / path if MEDIA_PATH.fullmatch(path) else None

    def save(self, path: str, data: bytes) -> None:
        """Write ``data`` at ``path`` whole or not at all (a reader never sees half a file);
        identical content is already there under the same name."""
        target = self.locate(path)
        assert target is not None, path
        if target.exists():
            return
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(f".{secrets.token_hex(8)}.part")
        partial.write_bytes(data)
        os.replace(partial, target)

    def remove(self, path: str) -> None:
        """Remove the picture at ``path``, if it is there."""
        target = self.locate(path)
        if target is not None:
            target.unlink(missing_ok=True)
