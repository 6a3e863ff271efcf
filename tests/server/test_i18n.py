"""Translations: every string of the web app is in both catalogs, translated, with the same
placeholders; the language follows the account, then the browser, then the setting."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from server.errors import Invalid
from server.i18n import LANGUAGES, LOCALE_DIR, N_, Message, negotiate, translations
from server.i18n.catalogs import extract_messages

ROOT = Path(__file__).resolve().parents[2]
#: ``%(n)d`` in templates (Jinja's gettext), ``{name}`` in Python (``Message``, Notes).
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|\{\w+(?:![rs])?\}")


def _texts(value: str | tuple[str, ...] | list[str]) -> tuple[str, ...]:
    return (value,) if isinstance(value, str) else tuple(value)


@pytest.mark.parametrize("language", LANGUAGES)
def test_catalog__holds_a_translation_of_every_marked_string(language: str) -> None:
    with (LOCALE_DIR / language / "LC_MESSAGES" / "messages.po").open("rb") as file:
        catalog = read_po(file, locale=language)
    marked = {message.id for message in extract_messages(ROOT) if message.id}
    held = {message.id: message for message in catalog if message.id}
    missing = sorted(str(m) for m in marked if m not in held)
    untranslated = sorted(str(m.id) for m in held.values() if m.fuzzy or not all(_texts(m.string)))
    unused = sorted(str(m) for m in held if m not in marked)
    assert missing == [], "run scripts/catalogs, then translate"
    assert untranslated == []
    assert unused == [], "run scripts/catalogs"
    for message in held.values():
        wanted = set(PLACEHOLDER.findall(" ".join(_texts(message.id))))
        for text in _texts(message.string):
            assert set(PLACEHOLDER.findall(text)) == wanted, message.id


def test_translations__compiled_from_the_po_files() -> None:
    assert translations("fr").ugettext("Sign in") == "Se connecter"
    assert translations("en").ugettext("Sign in") == "Sign in"
    plural = translations("fr").ungettext(
        "Too many failed attempts. Try again in %(n)d minute.",
        "Too many failed attempts. Try again in %(n)d minutes.",
        2,
    )
    assert plural % {"n": 2} == "Trop d’échecs. Réessayez dans 2 minutes."


def test_negotiate__account_then_browser_then_default() -> None:
    assert negotiate(chosen="fr", accept_language="en", default="en") == "fr"
    assert negotiate(chosen=None, accept_language="de, fr-CA;q=0.8, en;q=0.5", default="en") == "fr"
    assert negotiate(chosen=None, accept_language="en;q=0.3, fr;q=0.9", default="en") == "fr"
    assert negotiate(chosen=None, accept_language="de, es", default="fr") == "fr"
    assert negotiate(chosen=None, accept_language="fr;q=0, en", default="fr") == "en"
    assert negotiate(chosen=None, accept_language="fr;q=oops", default="en") == "en"


def test_message__english_as_a_string_and_translated_where_shown() -> None:
    message = Message(
        N_("the call is in {expected}, not {currency}"), expected="EUR", currency="USD"
    )
    assert message == "the call is in EUR, not USD"
    assert message.in_language(translations("fr")) == "l'appel est en EUR, pas en USD"


def test_service_error__json_detail_names_the_field_and_forms_get_the_message() -> None:
    error = Invalid(
        N_("{day} is in the past (today is {today} UTC)"),
        field="deadline",
        day="2020-01-01",
        today="2026-12-07",
    )
    assert error.detail == "deadline: 2020-01-01 is in the past (today is 2026-12-07 UTC)"
    assert error.field == "deadline"
    assert (
        error.message.in_language(translations("fr"))
        == "2020-01-01 est passé (nous sommes le 2026-12-07 UTC)"
    )


def test_message__a_value_that_is_a_message_is_translated_with_its_sentence() -> None:
    from server.domain.labels import FUNDING_STATUS_LABELS, named

    message = Message(
        N_("the funding call is {status}; it takes no more pledges"),
        status=named(FUNDING_STATUS_LABELS, "closed"),
    )
    assert message == "the funding call is closed; it takes no more pledges"
    assert message.in_language(translations("fr")) == (
        "l'appel de financement est clos : il ne reçoit plus de promesses"
    )
    assert named(FUNDING_STATUS_LABELS, "someone-elses") == "someone-elses"
