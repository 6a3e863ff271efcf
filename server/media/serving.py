"""``GET /media/…``: stored pictures, streamed from disk by the front door.

A picture's name is its content's hash, so its bytes never change: it is cached for a year
(``immutable``) and its ETag is that hash. A reverse proxy may serve the directory instead
(docs/deploy.md) and send only what it misses here, where a deleted picture answers 410.
"""

from __future__ import annotations

import os
from typing import Final

from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import FileResponse, Response

from server.http.responses import error_response
from server.media.files import MediaFiles
from server.storage.db import Database
from server.storage.models import Media

__all__ = ["CACHE_FOREVER", "MEDIA_PREFIX", "media_response"]

MEDIA_PREFIX: Final = "/media/"
CACHE_FOREVER: Final = "public, max-age=31536000, immutable"
_TYPES: Final = {"jpg": "image/jpeg", "png": "image/png"}


async def media_response(db: Database, files: MediaFiles, request: Request) -> Response:
    """Return the picture a ``GET /media/{path}`` asks for: 200 (or 304), 410 once deleted,
    404 for a path we never made."""
    path = request.url.path.removeprefix(MEDIA_PREFIX)
    target = files.locate(path)
    if target is None:
        return error_response(404, "no such picture")
    try:
        found = os.stat(target)  # one system call: cheaper than a thread hop
    except FileNotFoundError:
        return await _missing(db, path)
    digest, _, extension = path.rpartition("/")[2].partition(".")
    headers = {"Cache-Control": CACHE_FOREVER, "ETag": f'"{digest}"'}
    if request.headers.get("if-none-match", "").strip() in (
        headers["ETag"],
        f"W/{headers['ETag']}",
    ):
        return Response(status_code=304, headers=headers)
    return FileResponse(target, media_type=_TYPES[extension], headers=headers, stat_result=found)


async def _missing(db: Database, path: str) -> Response:
    """410 for a picture that was deleted, 404 for one that never was."""
    async with db.session() as session:
        known = await session.scalar(select(Media.id).where(Media.path == path).limit(1))
    if known is not None:
        return error_response(410, "this picture was deleted")
    return error_response(404, "no such picture")
