"""French legal identifiers (SIREN, SIRET) and the categories of public bodies.

Both identifiers end with a Luhn key (INSEE). The establishments of La Poste (SIREN
356 000 000) are numbered outside it: their SIRET's digits may instead add up to a multiple
of 5.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final

__all__ = [
    "LA_POSTE_SIREN",
    "PublicCategory",
    "check_siren",
    "check_siret",
    "luhn_valid",
]

LA_POSTE_SIREN: Final = "356000000"


class PublicCategory(StrEnum):
    """What kind of public body an actor is (for those of kind ``public_body``)."""

    state = "state"
    region = "region"
    department = "department"
    municipality = "municipality"
    intermunicipality = "intermunicipality"
    public_establishment = "public_establishment"
    hospital = "hospital"
    higher_education = "higher_education"
    other = "other"


def luhn_valid(digits: str) -> bool:
    """Whether a string of digits carries a valid Luhn key."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char) * (2 if position % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


def check_siren(value: str) -> str:
    """Return a SIREN without spaces; raises ``ValueError`` unless it is 9 digits with a valid
    Luhn key."""
    digits = "".join(value.split())
    if len(digits) != 9 or not digits.isascii() or not digits.isdigit():
        raise ValueError("a SIREN is 9 digits")
    if not luhn_valid(digits):
        raise ValueError(f"SIREN {digits}: its check digit is wrong (Luhn key)")
    return digits


def check_siret(value: str) -> str:
    """Return a SIRET without spaces; raises ``ValueError`` unless it is 14 digits whose first
    nine are a valid SIREN and whose key is valid (La Poste's by its own rule)."""
    digits = "".join(value.split())
    if len(digits) != 14 or not digits.isascii() or not digits.isdigit():
        raise ValueError("a SIRET is 14 digits")
    check_siren(digits[:9])
    la_poste = digits[:9] == LA_POSTE_SIREN and sum(int(d) for d in digits) % 5 == 0
    if not (luhn_valid(digits) or la_poste):
        raise ValueError(f"SIRET {digits}: its check digit is wrong (Luhn key)")
    return digits
