"""``/docs`` (Swagger UI) and ``/redoc``: the API's own pages, served from packaged assets.

FastAPI's defaults load Swagger UI and ReDoc from a CDN: a blank page on a server without
Internet access, and a third-party request from a self-hosted one. The assets come from the
``fastapi-offline`` package, mounted at ``/api-docs``; the page starts Swagger UI from a
script file of ours (``/static/api-docs.js``), so it needs no inline script.
"""

from __future__ import annotations

from pathlib import Path

import fastapi_offline
from fastapi import APIRouter
from fastapi.responses import HTMLResponse

__all__ = ["ASSETS", "ASSETS_PATH", "router"]

router = APIRouter(include_in_schema=False)

#: Where the packaged Swagger UI and ReDoc files are, and where they are served.
ASSETS = Path(fastapi_offline.__file__).parent / "static"
ASSETS_PATH = "/api-docs"


def _page(title: str, head: str, body: str) -> HTMLResponse:
    return HTMLResponse(
        f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">
{head}
</head>
<body>
{body}
</body>
</html>
"""
    )


@router.get("/docs")
async def swagger_ui() -> HTMLResponse:
    """Swagger UI over ``/openapi.json``, with the "Authorize" button for bearer tokens."""
    return _page(
        "Communs API",
        f'<link rel="stylesheet" href="{ASSETS_PATH}/swagger-ui.css">',
        f'<div id="swagger-ui" data-openapi="/openapi.json"></div>\n'
        f'<script src="{ASSETS_PATH}/swagger-ui-bundle.js"></script>\n'
        '<script src="/static/api-docs.js"></script>',
    )


@router.get("/redoc")
async def redoc() -> HTMLResponse:
    """ReDoc over ``/openapi.json``."""
    return _page(
        "Communs API",
        "",
        f'<redoc spec-url="/openapi.json"></redoc>\n'
        f'<script src="{ASSETS_PATH}/redoc.standalone.js"></script>',
    )
