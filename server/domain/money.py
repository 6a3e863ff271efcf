"""Money for people and for the API: integer minor units shown as text or as ``Money``.

Amounts are read by ``schemas.money.parse_amount``, the one parser of every edge; the
database keeps integer minor units, so no amount ever passes through a binary float.
Figures shown to people (Note content, pages) are formatted with ``FIGURES_LOCALE``
("12 500,00 €").
"""

from __future__ import annotations

from decimal import Decimal

from babel.numbers import format_currency, format_percent

from schemas.commons import Amount
from schemas.money import to_decimal_string

__all__ = [
    "FIGURES_LOCALE",
    "format_money",
    "format_percent_of",
    "money_view",
    "percent_of",
]

#: Locale of the figures in Note content and pages (amounts, percentages).
FIGURES_LOCALE = "fr_FR"


def money_view(minor: int, currency: str) -> Amount:
    """Return the API's ``{"amount": "50000.00", "currency": "EUR"}`` of stored minor units."""
    return Amount(amount=to_decimal_string(minor, currency), currency=currency)


def format_money(minor: int, currency: str, *, locale: str = FIGURES_LOCALE) -> str:
    """Return an amount for people, e.g. "12 500,00 €"."""
    return str(
        format_currency(Decimal(to_decimal_string(minor, currency)), currency, locale=locale)
    )


def percent_of(part: int, whole: int) -> int:
    """Return ``part`` as a whole percentage of ``whole``, rounded down (never 100 too early)."""
    return (part * 100) // whole if whole > 0 else 0


def format_percent_of(part: int, whole: int, *, locale: str = FIGURES_LOCALE) -> str:
    """Return the percentage for people, e.g. "25 %"."""
    return str(format_percent(Decimal(percent_of(part, whole)) / 100, locale=locale))
