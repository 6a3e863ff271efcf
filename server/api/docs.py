"""``/docs`` (Swagger UI) and ``/redoc``: the API's own pages, served from packaged assets.

FastAPI's defaults load Swagger UI and ReDoc from a CDN: a blank page on a server without
Internet access, and a third-party request from a self-hosted one. The assets come from the
``fastapi-offline`` package, mounted at ``/api-docs``; the page starts Swagger UI from a
script file of ours (``/static/api-docs.js``), so it needs no inline script. Their
Content-Security-Policy is the pages' one (``server.http.security``), except that Swagger UI
and ReDoc may add styles of their own and ReDoc runs a worker.
"""

from __future__ import annotations

from pathlib import Path

import fastapi_offline
from fastapi import APIRouter
from fastapi.responses import HTMLResponse

__all__ = ["ASSETS", "ASSETS_PATH", "DOCS_CONTENT_SECURITY_POLICY", "router"]

router = APIRouter(include_in_schema=False)

#: Where the packaged Swagger UI and ReDoc files are, and where they are served.
ASSETS = Path(fastapi_offline.__file__).parent / "static"
ASSETS_PATH = "/api-docs"
#: Still no inline script and no other origin; styles they inject, and ReDoc's worker, allowed.
DOCS_CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "worker-src 'self' blob:",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


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
""",
        headers={"Content-Security-Policy": DOCS_CONTENT_SECURITY_POLICY},
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
