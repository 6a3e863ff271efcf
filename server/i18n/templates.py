"""Jinja environments that speak the page's language: ``_``, ``gettext``, ``ngettext`` and
``{% trans %}`` read the catalog of the language a page is being rendered in.

The web app and the public pages each have their templates; both render through here, so a
template's strings are looked up, and its dates and numbers written, the same way everywhere.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, date, datetime
from pathlib import Path

from babel.dates import format_date, format_datetime
from babel.numbers import format_decimal
from jinja2 import Environment, FileSystemLoader, select_autoescape

from server.i18n import Message, locale_of, translations

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


def _day(value: date) -> str:
    """A day in the page's language ("7 décembre 2026")."""
    return str(format_date(value, format="long", locale=locale_of(_current.get())))


def _moment(value: datetime) -> str:
    """A moment of the past, in UTC as stored, said so."""
    locale = locale_of(_current.get())
    return f"{format_datetime(value, format='medium', tzinfo=UTC, locale=locale)} UTC"


def _number(value: int) -> str:
    return str(format_decimal(value, locale=locale_of(_current.get())))


def environment(directory: Path) -> Environment:
    """Return an autoescaping environment of ``directory``'s templates, with gettext and the
    page language's ``day``, ``moment`` and ``number``."""
    env = Environment(
        loader=FileSystemLoader(directory),
        autoescape=select_autoescape(default=True),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_callables(_gettext, _ngettext, newstyle=True)  # type: ignore[attr-defined]
    env.globals.update(day=_day, moment=_moment, number=_number)
    return env
