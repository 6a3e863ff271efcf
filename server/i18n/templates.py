"""Jinja environments that speak the page's language: ``_``, ``gettext``, ``ngettext`` and
``{% trans %}`` read the catalog of the language a page is being rendered in.

The web app and the public pages each have their templates; both render through here, so a
template's strings are looked up the same way everywhere.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape

from server.i18n import Message, translations

__all__ = ["current_language", "environment", "in_language"]

_current: ContextVar[str] = ContextVar("language", default="en")


def current_language() -> str:
    """Return the language of the page being rendered."""
    return _current.get()


@contextmanager
def in_language(language: str) -> Iterator[None]:
    """Render (and format) in ``language`` for the duration of the block."""
    token = _current.set(language)
    try:
        yield
    finally:
        _current.reset(token)


def _gettext(message: str) -> str:
    catalog = translations(_current.get())
    if isinstance(message, Message):  # an error's text, with its values
        return message.in_language(catalog)
    return catalog.ugettext(message)


def _ngettext(singular: str, plural: str, n: int) -> str:
    return translations(_current.get()).ungettext(singular, plural, n)


def environment(directory: Path) -> Environment:
    """Return an autoescaping environment of ``directory``'s templates, with gettext."""
    env = Environment(
        loader=FileSystemLoader(directory),
        autoescape=select_autoescape(default=True),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_callables(_gettext, _ngettext, newstyle=True)  # type: ignore[attr-defined]
    return env
