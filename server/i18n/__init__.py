"""Languages of the pages: gettext catalogs (``locale/<lang>/LC_MESSAGES/messages.po``),
compiled in memory the first time a language is used, so a fresh install needs no build step.

The language of a page is the account's choice, else the browser's ``Accept-Language``, else
``COMMUNS_DEFAULT_LANGUAGE``. Python code marks strings for people with ``N_`` (they are
translated where shown); templates use ``_``/``gettext``/``ngettext`` and ``{% trans %}``.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

__all__ = [
    "LANGUAGES",
    "LOCALES",
    "LOCALE_DIR",
    "N_",
    "Message",
    "language_of",
    "locale_of",
    "negotiate",
    "translations",
]

LANGUAGES = ("en", "fr")
#: The Babel locale of each language: how its numbers, money and dates are written.
LOCALES = {"en": "en_GB", "fr": "fr_FR"}
LOCALE_DIR = Path(__file__).parent / "locale"


def N_(message: str) -> str:
    """Mark ``message`` for extraction; it is translated where it is shown."""
    return message


class Message(str):
    """Text for people, translated where it is shown: as a ``str`` it is the English text
    (JSON answers and logs), and it keeps its catalog id and values for ``translate``.

    ``Message(N_("deadline: {day} is in the past"), day="2020-01-01")``
    """

    msgid: str
    params: Mapping[str, Any]

    def __new__(cls, msgid: str, /, **params: Any) -> Message:
        text = msgid.format(**params) if params else msgid
        message = super().__new__(cls, text)
        message.msgid, message.params = msgid, params
        return message

    def in_language(self, catalog: NullTranslations) -> str:
        """Return the text in the language of ``catalog``; values that are themselves
        ``Message``s (a status's name, say) are translated too."""
        text = catalog.gettext(self.msgid)
        if not self.params:
            return text
        values = {
            name: value.in_language(catalog) if isinstance(value, Message) else value
            for name, value in self.params.items()
        }
        return text.format(**values)


@cache
def translations(language: str) -> Translations:
    """Return the catalog of ``language`` (one of ``LANGUAGES``), compiled once per process."""
    path = LOCALE_DIR / language / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as file:
        catalog = read_po(file, locale=language)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(compiled)


def language_of(tag: str | None, *, default: str = "en") -> str:
    """Return the language we write for a language tag ("fr-BE" → "fr"), else ``default``:
    a text is tagged with the language it is really written in."""
    primary = (tag or "").split("-")[0].lower()
    return primary if primary in LANGUAGES else default


def locale_of(language: str) -> str:
    """Return the Babel locale numbers, money and dates of ``language`` are written in."""
    return LOCALES.get(language, LOCALES["en"])


def _accepted(header: str) -> list[str]:
    """Return the primary language subtags of an Accept-Language header, best first."""
    ranked: list[tuple[float, int, str]] = []
    for index, item in enumerate(header.split(",")[:20]):
        tag, _, params = item.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        if tag and quality > 0:
            ranked.append((-quality, index, tag.split("-")[0].lower()))
    return [tag for _, _, tag in sorted(ranked)]


def negotiate(*, chosen: str | None, accept_language: str, default: str) -> str:
    """Return the language of a page: the account's choice, else the browser's, else default."""
    if chosen in LANGUAGES:
        return chosen
    for tag in _accepted(accept_language):
        if tag in LANGUAGES:
            return tag
    return default
