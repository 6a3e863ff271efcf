"""Every route of the web app, and its stylesheet."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse

from server.webapp import (
    account,
    admin,
    dashboard,
    members,
    network,
    oauth,
    pictures,
    pledges,
    publications,
    signin,
    tokens,
)

__all__ = ["router"]

router = APIRouter()
for module in (
    signin,
    account,
    dashboard,
    publications,
    pictures,
    pledges,
    network,
    members,
    tokens,
    admin,
    oauth,
):
    router.include_router(module.router)
router.include_router(oauth.api)

_STATIC = Path(__file__).parent / "static"


@router.get("/app/static/app.css")
async def stylesheet() -> FileResponse:
    """The web app's stylesheet (cached a day)."""
    return FileResponse(
        _STATIC / "app.css",
        media_type="text/css",
        headers={"Cache-Control": "public, max-age=86400"},
    )
