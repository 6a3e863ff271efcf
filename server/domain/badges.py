"""What badges and preview pictures say of a funding call or a project, in short."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from babel import Locale
from babel.numbers import format_currency, format_percent
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from schemas.money import to_decimal_string
from schemas.states import PledgeState
from server.domain.figures import effective_status
from server.domain.money import FIGURES_LOCALE, percent_of
from server.domain.providers import usage_summary
from server.i18n import locale_of, translations
from server.storage.models import FundingCall, Pledge, Project

__all__ = ["CallBadge", "call_badge", "project_badge", "short_money"]


def short_money(
    minor: int, currency: str, *, code: bool = False, locale: str = FIGURES_LOCALE
) -> str:
    """Return an amount for a badge as ``locale`` writes it: ``50 000 €`` (``50 000 EUR`` with
    ``code``, for fonts without the symbol), the cents only when there are some."""
    value = Decimal(to_decimal_string(minor, currency))
    whole = value == value.to_integral_value()
    pattern = Locale.parse(locale).currency_formats["standard"].pattern
    if whole:
        pattern = pattern.replace(".00", "")
    if code:
        pattern = pattern.replace("¤", "¤¤")
    return str(
        format_currency(
            value, currency, format=pattern, locale=locale, currency_digits=whole is False
        )
    )


@dataclass(frozen=True)
class CallBadge:
    """A call's progress in a few words: "52 % of 50 000 € · 6 funders" ("… 6 financeurs")."""

    percent: int
    goal_minor: int
    raised_minor: int
    currency: str
    funders: int
    status: str

    def goal(self, *, code: bool = False, locale: str = FIGURES_LOCALE) -> str:
        return short_money(self.goal_minor, self.currency, code=code, locale=locale)

    def raised(self, *, code: bool = False, locale: str = FIGURES_LOCALE) -> str:
        return short_money(self.raised_minor, self.currency, code=code, locale=locale)

    def message(self, language: str) -> str:
        """Return the progress in ``language``, which the badge and its alt text share."""
        locale = locale_of(language)
        line = translations(language).ungettext(
            "{percent} of {goal} · {num} funder",
            "{percent} of {goal} · {num} funders",
            self.funders,
        )
        return line.format(
            percent=format_percent(Decimal(self.percent) / 100, locale=locale),
            goal=self.goal(locale=locale),
            num=self.funders,
        )


async def call_badge(session: AsyncSession, call: FundingCall, *, today: date) -> CallBadge:
    """Return the figures of a call's badge: its progress and how many pledges count."""
    funders = await session.scalar(
        select(func.count())
        .select_from(Pledge)
        .where(Pledge.funding_call_id == call.id, Pledge.state == PledgeState.accepted)
    )
    return CallBadge(
        percent=percent_of(call.raised_minor, call.goal_minor),
        goal_minor=call.goal_minor,
        raised_minor=call.raised_minor,
        currency=call.currency,
        funders=int(funders or 0),
        status=effective_status(call, today),
    )


async def project_badge(session: AsyncSession, project: Project, *, language: str) -> str:
    """Return a project's badge message in ``language``: "used by N" (organisations that
    declared it)."""
    users = (await usage_summary(session, project.id)).users
    return (
        translations(language).ungettext("used by {num}", "used by {num}", users).format(num=users)
    )
