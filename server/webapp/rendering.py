"""Pages of the web app: one Jinja environment (autoescaped, gettext), rendered in the
visitor's language, and the error pages the routes' failures become."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi.responses import HTMLResponse

from server import __version__
from server.domain.labels import STATUS_LABELS
from server.i18n import N_
from server.i18n.templates import environment, in_language

__all__ = ["render_html"]

_env = environment(Path(__file__).parent / "templates")
#: Statuses the web app's tables show (projects, calls, accounts), translated where shown.
_env.globals["status_labels"] = STATUS_LABELS | {
    "pending": N_("pending"),
    "disabled": N_("disabled"),
}


def render_html(
    name: str, context: dict[str, Any], *, language: str, status: int = 200
) -> HTMLResponse:
    """Render ``name`` in ``language``; pages never cache (they hold CSRF tokens)."""
    with in_language(language):
        html = _env.get_template(name).render({"lang": language, "version": __version__, **context})
    return HTMLResponse(
        html, status_code=status, headers={"Cache-Control": "no-store", "Vary": "Cookie"}
    )
