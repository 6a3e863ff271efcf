"""What badges and preview pictures say of a funding call or a project, in short."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from babel.numbers import format_currency
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from schemas.money import to_decimal_string
from schemas.states import PledgeState
from server.domain.figures import effective_status
from server.domain.money import FIGURES_LOCALE, percent_of
from server.domain.providers import usage_summary
from server.storage.models import FundingCall, Pledge, Project

__all__ = ["CallBadge", "call_badge", "project_badge", "short_money"]


def short_money(minor: int, currency: str, *, code: bool = False) -> str:
    """Return an amount for a badge: ``50 000 €`` (``50 000 EUR`` with ``code``, for fonts
    without the symbol), the cents only when there are some."""
    value = Decimal(to_decimal_string(minor, currency))
    sign = "¤¤" if code else "¤"
    whole = value == value.to_integral_value()
    pattern = f"#,##0 {sign}" if whole else f"#,##0.00 {sign}"
    return str(
        format_currency(
            value, currency, format=pattern, locale=FIGURES_LOCALE, currency_digits=whole is False
        )
    )


@dataclass(frozen=True)
class CallBadge:
    """A call's progress in a few words: "52 % of 50 000 € · 6 funders"."""

    percent: int
    goal_minor: int
    raised_minor: int
    currency: str
    funders: int
    status: str

    def goal(self, *, code: bool = False) -> str:
        return short_money(self.goal_minor, self.currency, code=code)

    def raised(self, *, code: bool = False) -> str:
        return short_money(self.raised_minor, self.currency, code=code)

    @property
    def message(self) -> str:
        funders = "funder" if self.funders == 1 else "funders"
        return f"{self.percent} % of {self.goal()} · {self.funders} {funders}"


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


async def project_badge(session: AsyncSession, project: Project) -> str:
    """Return a project's badge message: "used by N" (organisations that declared it)."""
    return f"used by {(await usage_summary(session, project.id)).users}"
