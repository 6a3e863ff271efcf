"""Money: decimal strings ↔ integer minor units, with each currency's precision (babel/CLDR).

The database keeps integer minor units and the API and the wire carry decimal strings, so no
amount ever passes through a binary float. Figures shown to people (Note content, pages) are
formatted with ``FIGURES_LOCALE`` ("12 500,00 €").
"""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache

from babel.numbers import format_currency, format_percent, get_currency_precision, list_currencies

__all__ = [
    "FIGURES_LOCALE",
    "MAX_MINOR",
    "MoneyError",
    "check_currency",
    "format_money",
    "format_percent_of",
    "percent_of",
    "to_decimal_string",
    "to_minor",
]

#: Locale of the figures in Note content and pages (amounts, percentages).
FIGURES_LOCALE = "fr_FR"
#: Upper bound of one amount in minor units: sums of many stay far inside a 64-bit integer.
MAX_MINOR = 10**15
#: ISO 4217 codes that are not money (no currency, testing).
_NOT_MONEY = frozenset({"XXX", "XTS"})


class MoneyError(ValueError):
    """An amount or a currency the API refuses; the message says why, for a 422."""


@lru_cache(maxsize=1)
def _currencies() -> frozenset[str]:
    return frozenset(list_currencies()) - _NOT_MONEY


def check_currency(code: str) -> str:
    """Return ``code`` if it is an ISO 4217 currency babel knows; raises ``MoneyError``."""
    if code not in _currencies():
        raise MoneyError(f"unknown currency {code!r}: an ISO 4217 code such as EUR is expected")
    return code


def _precision(currency: str) -> int:
    return int(get_currency_precision(check_currency(currency)))


def to_minor(amount: str, currency: str) -> int:
    """Return a positive decimal string as integer minor units of ``currency``.

    Raises ``MoneyError`` for an unknown currency, more decimals than the currency has, a
    value that is not positive, or one above ``MAX_MINOR``.
    """
    digits = _precision(currency)
    try:
        value = Decimal(amount)
    except ArithmeticError:
        raise MoneyError(f"amount {amount!r} is not a decimal number") from None
    if not value.is_finite() or value <= 0:
        raise MoneyError("amount must be greater than zero")
    minor = value.scaleb(digits)
    if minor != minor.to_integral_value():
        allowed = (
            f"at most {digits} decimal place{'s' if digits > 1 else ''}"
            if digits
            else "no decimals"
        )
        raise MoneyError(f"{currency} amounts take {allowed}; got {amount!r}")
    if minor > MAX_MINOR:
        raise MoneyError(f"amount {amount!r} is too large")
    return int(minor)


def to_decimal_string(minor: int, currency: str) -> str:
    """Return minor units as the decimal string of the API and the wire ("50000.00")."""
    digits = int(get_currency_precision(currency))
    return str(Decimal(minor).scaleb(-digits).quantize(Decimal(1).scaleb(-digits)))


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
