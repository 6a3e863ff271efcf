"""The one money parser: what it takes, what it refuses and why, and exact round trips."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from schemas.money import (
    MAX_MINOR,
    MAX_TOTAL_MINOR,
    MoneyError,
    currency_digits,
    parse_amount,
    to_decimal_string,
)


@pytest.mark.parametrize(
    ("value", "currency", "minor"),
    [
        ("50000.00", "EUR", 5_000_000),
        ("50000", "EUR", 5_000_000),
        ("0.5", "EUR", 50),
        ("007.10", "EUR", 710),
        ("1500000", "JPY", 1_500_000),
        ("10.125", "BHD", 10_125),
        ("10000000000000.00", "EUR", MAX_MINOR),
        ("0" * 5000 + "1", "EUR", 100),  # leading zeros are only zeros, however many
    ],
)
def test_parse_amount__plain_decimals_in_the_currencys_precision(
    value: str, currency: str, minor: int
) -> None:
    assert parse_amount(value, currency) == minor


@pytest.mark.parametrize(
    ("value", "currency", "needle"),
    [
        ("9e999999", "EUR", "no sign, exponent or spaces"),
        ("1e-999999999", "EUR", "no sign, exponent or spaces"),
        ("1E5", "EUR", "no sign, exponent or spaces"),
        ("1." + "0" * 600 + "1", "EUR", "at most 2 decimal places"),
        ("1000000000000.000000000000000001", "EUR", "at most 2 decimal places"),
        ("10.5", "JPY", "no decimals"),
        ("0", "EUR", "greater than zero"),
        ("0.00", "EUR", "greater than zero"),
        ("-5", "EUR", "greater than zero"),
        ("+5", "EUR", "no sign, exponent or spaces"),
        (" 5", "EUR", "no sign, exponent or spaces"),
        ("5\n", "EUR", "no sign, exponent or spaces"),
        ("5.", "EUR", "no sign, exponent or spaces"),
        (".5", "EUR", "no sign, exponent or spaces"),
        ("1,5", "EUR", "no sign, exponent or spaces"),
        ("١٢", "EUR", "no sign, exponent or spaces"),  # digits, but not ASCII ones
        ("NaN", "EUR", "no sign, exponent or spaces"),
        ("Infinity", "EUR", "no sign, exponent or spaces"),
        ("", "EUR", "no sign, exponent or spaces"),
        ("10000000000000.01", "EUR", "above the maximum of 10000000000000.00 EUR"),
        ("9" * 5000, "EUR", "above the maximum"),
        (12, "EUR", "not a JSON number"),
        (12.5, "EUR", "not a JSON number"),
        (None, "EUR", "not a JSON number"),
        ("10", "XYZ", "unknown currency"),
        ("10", "XXX", "unknown currency"),
    ],
)
def test_parse_amount__refuses_with_a_reason(value: object, currency: str, needle: str) -> None:
    with pytest.raises(MoneyError) as refused:
        parse_amount(value, currency)
    assert needle in str(refused.value)


def test_parse_amount__a_total_may_be_zero_and_larger() -> None:
    assert parse_amount("0.00", "EUR", allow_zero=True) == 0
    total = to_decimal_string(MAX_TOTAL_MINOR, "EUR")
    assert parse_amount(total, "EUR", allow_zero=True, maximum=MAX_TOTAL_MINOR) == MAX_TOTAL_MINOR
    with pytest.raises(MoneyError):
        parse_amount(total, "EUR")


@given(
    minor=st.integers(min_value=1, max_value=MAX_MINOR),
    currency=st.sampled_from(["EUR", "JPY", "BHD", "USD", "CLF"]),
)
def test_to_decimal_string__round_trips_through_the_parser(minor: int, currency: str) -> None:
    text = to_decimal_string(minor, currency)
    digits = currency_digits(currency)
    assert len(text.partition(".")[2]) == digits
    assert parse_amount(text, currency) == minor
