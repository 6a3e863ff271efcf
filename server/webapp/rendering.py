"""Pages of the web app: one Jinja environment (autoescaped, gettext), rendered in the
visitor's language, and the error pages the routes' failures become."""

from __future__ import annotations

from contextvars import ContextVar
from pathlib import Path
from typing import Any

from babel.support import Translations
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from server import __version__
from server.i18n import Message, translations

__all__ = ["render_html"]

_current: ContextVar[Translations] = ContextVar("translations")


def _gettext(message: str) -> str:
    if isinstance(message, Message):  # an error's text, with its values
        return message.in_language(_current.get())
    return _current.get().ugettext(message)


def _ngettext(singular: str, plural: str, n: int) -> str:
    return _current.get().ungettext(singular, plural, n)


_env = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(default=True),
    extensions=["jinja2.ext.i18n"],
    trim_blocks=True,
    lstrip_blocks=True,
)
_env.install_gettext_callables(_gettext, _ngettext, newstyle=True)  # type: ignore[attr-defined]


def render_html(
    name: str, context: dict[str, Any], *, language: str, status: int = 200
) -> HTMLResponse:
    """Render ``name`` in ``language``; pages never cache (they hold CSRF tokens)."""
    token = _current.set(translations(language))
    try:
        html = _env.get_template(name).render({"lang": language, "version": __version__, **context})
    finally:
        _current.reset(token)
    return HTMLResponse(
        html, status_code=status, headers={"Cache-Control": "no-store", "Vary": "Cookie"}
    )
