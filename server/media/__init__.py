"""Pictures: avatars and headers of actors, logos and images of projects and funding calls.

``images`` checks and re-encodes uploads (Pillow), ``files`` keeps them under
``COMMUNS_MEDIA_DIR``, ``library`` attaches them and publishes the change, ``serving``
answers ``/media/…`` from the front door.
"""

from __future__ import annotations

from server.media.files import MediaFiles
from server.media.images import MAX_UPLOAD, MediaKind, Picture, process
from server.media.library import (
    MAX_IMAGES,
    add_picture,
    pictures_of,
    published,
    remove_actor_picture,
    remove_picture,
    retire_orphans,
    set_actor_picture,
)
from server.media.serving import media_response

__all__ = [
    "MAX_IMAGES",
    "MAX_UPLOAD",
    "MediaFiles",
    "MediaKind",
    "Picture",
    "add_picture",
    "media_response",
    "pictures_of",
    "process",
    "published",
    "remove_actor_picture",
    "remove_picture",
    "retire_orphans",
    "set_actor_picture",
]
