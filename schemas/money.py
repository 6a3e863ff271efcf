"""The one money parser: a decimal string of a currency → integer minor units, never rounded.

Every edge that takes an amount (the JSON API, pledges offered on the inbox, remote calls
pushed or looked up) reads it here, so one value gets one answer everywhere. An amount is
plain digits with an optional decimal point: no sign, no exponent, no spaces, at most the
currency's number of decimals (CLDR, through babel), greater than zero and at most
``MAX_MINOR`` minor units. No ``Decimal`` or float is involved: ``"9e999999"`` and
``"1." + "0" * 600 + "1"`` are refused by their spelling, before any arithmetic.
"""

from __future__ import annotations

import re
from functools import lru_cache

from babel.numbers import get_currency_precision, list_currencies

__all__ = [
    "MAX_MINOR",
    "MAX_TOTAL_MINOR",
    "MoneyError",
    "check_currency",
    "currency_digits",
    "parse_amount",
    "to_decimal_string",
]

#: The largest amount, in minor units: 10 000 000 000 000.00 EUR, 1 000 000 000 000 000 JPY.
MAX_MINOR = 10**15
#: The largest total of a call (its accepted pledges together), far inside a 64-bit integer.
MAX_TOTAL_MINOR = 10**18
#: ISO 4217 codes that are not money (no currency, testing).
_NOT_MONEY = frozenset({"XXX", "XTS"})
#: Digits, then an optional point and digits.
_SPELLING = re.compile(r"([0-9]+)(?:\.([0-9]+))?")
#: More digits before the point than any amount up to ``MAX_TOTAL_MINOR`` has.
_MAX_WHOLE_DIGITS = 19


class MoneyError(ValueError):
    """An amount or a currency that is refused; the message says why, in a few words."""


@lru_cache(maxsize=1)
def _currencies() -> frozenset[str]:
    return frozenset(list_currencies()) - _NOT_MONEY


def check_currency(code: object) -> str:
    """Return ``code`` if it is an ISO 4217 currency; raises ``MoneyError``."""
    if not isinstance(code, str) or code not in _currencies():
        raise MoneyError(f"unknown currency {str(code)[:10]!r}: an ISO 4217 code such as EUR")
    return code


def currency_digits(code: str) -> int:
    """Return how many decimals amounts of ``code`` take (2 for EUR, 0 for JPY)."""
    return int(get_currency_precision(check_currency(code)))


def parse_amount(
    value: object, currency: str, *, allow_zero: bool = False, maximum: int = MAX_MINOR
) -> int:
    """Return the minor units of ``value``, a decimal string in ``currency``.

    ``allow_zero`` takes ``"0.00"`` (a total, not an amount given). Raises ``MoneyError`` for
    a value that is not a string, not plain digits with an optional decimal point, has more
    decimals than the currency, is zero (unless allowed) or is above ``maximum``.
    """
    digits = currency_digits(currency)
    if not isinstance(value, str):
        raise MoneyError(
            'the amount must be a decimal string such as "50000.00", not a JSON number'
        )
    if value.startswith("-"):
        raise MoneyError("the amount must be greater than zero")
    spelled = _SPELLING.fullmatch(value)
    if spelled is None:
        raise MoneyError(
            f"{value[:40]!r} is not an amount such as 50000.00 (no sign, exponent or spaces)"
        )
    whole, fraction = spelled.group(1).lstrip("0"), spelled.group(2) or ""
    if len(fraction) > digits:
        places = f"at most {digits} decimal place{'s' if digits > 1 else ''}"
        places = places if digits else "no decimals"
        raise MoneyError(f"{currency} amounts take {places}; got {value[:60]!r}")
    if len(whole) > _MAX_WHOLE_DIGITS:
        raise MoneyError(f"the amount is above the maximum of {_most(maximum, currency)}")
    minor = int(whole + fraction.ljust(digits, "0") or "0")
    if minor == 0 and not allow_zero:
        raise MoneyError("the amount must be greater than zero")
    if minor > maximum:
        raise MoneyError(f"the amount is above the maximum of {_most(maximum, currency)}")
    return minor


def _most(maximum: int, currency: str) -> str:
    return f"{to_decimal_string(maximum, currency)} {currency}"


def to_decimal_string(minor: int, currency: str) -> str:
    """Return minor units as the decimal string of the API and the wire ("50000.00")."""
    digits = currency_digits(currency)
    units = str(minor).rjust(digits + 1, "0")
    return f"{units[:-digits]}.{units[-digits:]}" if digits else units
