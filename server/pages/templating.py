"""The pages' Jinja environment (autoescaped, gettext; only sanitised HTML is marked safe),
who reads a page, and figures in the page's locale.

A page is rendered in its reader's language (``server.http.visits.page_language``); its
numbers, money and dates follow that language's locale, so an English page reads
"€0.00 of €30,000.00" and a French one "0,00 € sur 30 000,00 €".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from babel.numbers import format_decimal
from fastapi.responses import HTMLResponse
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request

from schemas.commons import Amount
from schemas.money import currency_digits, parse_amount, to_decimal_string
from server import __version__
from server.accounts.members import actors_of
from server.domain.access import Role
from server.domain.labels import KIND_LABELS, SECTOR_LABELS, SERVICE_LABELS, STATUS_LABELS
from server.domain.money import format_money, format_percent_of, percent_of
from server.domain.notes import Figures, figures
from server.http.visits import csrf_of, page_language, session_of, session_secret
from server.i18n import LANGUAGES, N_, locale_of, translations
from server.i18n.templates import current_language, environment, in_language
from server.pages.labels import TYPE_LABELS
from server.settings import Settings
from server.storage.accounts import Account
from server.storage.models import Actor, FundingCall

__all__ = ["Reader", "reader_of", "render_page"]

_env = environment(Path(__file__).parent / "templates")

#: ``COMMUNS_INSTANCE_DESCRIPTION``'s default, which the catalogs translate; an admin's own
#: description is shown as written.
_DEFAULT_DESCRIPTION = N_("A home on the fediverse for the people who make digital commons.")


def _description(settings: Settings, language: str) -> str:
    """Return the instance's description for a page in ``language``."""
    description = settings.instance_description
    if description == _DEFAULT_DESCRIPTION:
        return translations(language).ugettext(description)
    return description


#: What the language switcher offers, each in its own language.
_LANGUAGE_NAMES = {"en": "English", "fr": "Français"}


@dataclass(frozen=True)
class Reader:
    """Who reads a page: its language and, when signed in, the account and its actors (whose
    forms on the page carry the web app's CSRF token)."""

    language: str
    account: Account | None = None
    #: The actors the account is a member of, with its role there.
    memberships: list[tuple[Actor, str]] = field(default_factory=list)
    csrf: str = ""

    @property
    def actors(self) -> list[Actor]:
        """The actors it may pledge as (any member)."""
        return [actor for actor, _ in self.memberships]

    @property
    def owned(self) -> list[Actor]:
        """The actors it may follow others as (owners only, as in the web app)."""
        return [actor for actor, role in self.memberships if role == Role.owner]


async def reader_of(request: Request, session: AsyncSession) -> Reader:
    """Return the reader of a request; only a session cookie costs a query."""
    state = request.app.state.communs
    default = state.settings.default_language
    found = await session_of(request, state.settings, session, state.clock)
    if found is None or not found[0].is_verified:
        return Reader(language=page_language(request, default))
    account = found[1]
    return Reader(
        language=page_language(request, default, account),
        account=account,
        memberships=await actors_of(session, account.id),
        csrf=csrf_of(session_secret(request, state.settings)),
    )


@dataclass(frozen=True)
class Progress:
    """A directory card's progress: what was raised of what goal, in the page's locale."""

    raised: str
    goal: str
    percent: int


def _progress(raised: Amount, goal: Amount) -> Progress:
    raised_minor = parse_amount(raised.amount, raised.currency, allow_zero=True)
    goal_minor = parse_amount(goal.amount, goal.currency, allow_zero=True)
    return Progress(
        raised=_money(raised_minor, raised.currency),
        goal=_money(goal_minor, goal.currency),
        percent=percent_of(raised_minor, goal_minor),
    )


def _locale() -> str:
    return locale_of(current_language())


def _call_figures(call: FundingCall) -> Figures:
    return figures(call, language=current_language())


def _percent(part: int, whole: int) -> str:
    return format_percent_of(part, whole, locale=_locale())


def _money(minor: int, currency: str) -> str:
    return format_money(minor, currency, locale=_locale())


def _typed_amount(minor: int, currency: str) -> str:
    """An amount as a person types it in the page's language: "100,00" in French (no
    grouping, no symbol), for a form's placeholder."""
    digits = currency_digits(currency)
    pattern = "0." + "0" * digits if digits else "0"
    value = Decimal(to_decimal_string(minor, currency))
    return str(format_decimal(value, format=pattern, locale=_locale()))


_env.globals.update(
    money=_money,
    typed_amount=_typed_amount,
    call_figures=_call_figures,
    percent=_percent,
    progress=_progress,
    kind_labels=KIND_LABELS,
    sector_labels=SECTOR_LABELS,
    service_labels=SERVICE_LABELS,
    status_labels=STATUS_LABELS,
    type_labels=TYPE_LABELS,
)


def _switch_links(request: Request) -> list[tuple[str, str, str]]:
    """Return the switcher's links: each language, its name, and the URL setting it."""
    path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return [
        (lang, _LANGUAGE_NAMES[lang], "/language?" + urlencode({"to": lang, "next": path}))
        for lang in LANGUAGES
    ]


def render_page(
    request: Request,
    settings: Settings,
    reader: Reader,
    name: str,
    context: dict[str, Any],
    *,
    status: int = 200,
) -> HTMLResponse:
    """Render a template in the reader's language with the instance-wide context; a page
    varies by language and by who is signed in (AS2 is linked via ``Link`` headers)."""
    full = {
        "instance_name": settings.instance_name,
        "instance_description": _description(settings, reader.language),
        "version": __version__,
        "domain": settings.domain,
        "lang": reader.language,
        "reader": reader,
        "languages": _switch_links(request),
        "path": request.url.path,
        **context,
    }
    with in_language(reader.language):
        html = _env.get_template(name).render(full)
    return HTMLResponse(
        html, status_code=status, headers={"Vary": "Accept, Accept-Language, Cookie"}
    )
