"""Where actors are and where providers work: French regions by INSEE code, other countries by
ISO 3166-1 alpha-2 code.

The two code spaces never overlap (INSEE region codes are digits, ISO codes letters), so one
string names either. A provider serving ``FR`` serves every French region.
"""

from __future__ import annotations

import unicodedata
from typing import Final

from babel import Locale, UnknownLocaleError

__all__ = [
    "FRANCE",
    "FRENCH_REGIONS",
    "RegionError",
    "covering",
    "is_region_code",
    "normalize_region",
    "region_name",
]

FRANCE: Final = "FR"

#: The regions of France (2016) by their INSEE code, with their official names.
FRENCH_REGIONS: Final[dict[str, str]] = {
    "01": "Guadeloupe",
    "02": "Martinique",
    "03": "Guyane",
    "04": "La Réunion",
    "06": "Mayotte",
    "11": "Île-de-France",
    "24": "Centre-Val de Loire",
    "27": "Bourgogne-Franche-Comté",
    "28": "Normandie",
    "32": "Hauts-de-France",
    "44": "Grand Est",
    "52": "Pays de la Loire",
    "53": "Bretagne",
    "75": "Nouvelle-Aquitaine",
    "76": "Occitanie",
    "84": "Auvergne-Rhône-Alpes",
    "93": "Provence-Alpes-Côte d'Azur",
    "94": "Corse",
}

#: CLDR territories that are not ISO 3166-1 countries (groupings, reserved or private codes).
_NOT_COUNTRIES: Final = frozenset(
    {"AC", "CP", "CQ", "DG", "EA", "EU", "EZ", "IC", "QO", "TA", "UN", "XA", "XB", "XK", "ZZ"}
)


class RegionError(ValueError):
    """A region that is neither a French region nor a country we know."""


def _countries(language: str) -> dict[str, str]:
    territories = Locale.parse(language).territories
    return {
        code: str(name)
        for code, name in territories.items()
        if len(code) == 2 and code.isalpha() and code not in _NOT_COUNTRIES
    }


_COUNTRIES_EN: Final = _countries("en")


def _folded(text: str) -> str:
    """Lower case without accents, dashes or apostrophes: ``Île-de-France`` → ``ile de france``."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return " ".join(plain.lower().replace("-", " ").replace("'", " ").split())


_BY_NAME: Final[dict[str, str]] = {
    **{_folded(name): code for code, name in _countries("fr").items()},
    **{_folded(name): code for code, name in _COUNTRIES_EN.items()},
    **{_folded(name): code for code, name in FRENCH_REGIONS.items()},
}


def is_region_code(value: str) -> bool:
    """Whether ``value`` is the code of a French region or of a country."""
    return value in FRENCH_REGIONS or value in _COUNTRIES_EN


def normalize_region(value: str) -> str:
    """Return the code of a region given by code (``84``, ``be``) or by name (``Bretagne``,
    ``Belgique``, ``Belgium``); raises ``RegionError`` when it names none."""
    text = value.strip()
    if text.upper() in _COUNTRIES_EN:
        return text.upper()
    if text in FRENCH_REGIONS:
        return text
    if text.isdigit() and len(text) == 1 and f"0{text}" in FRENCH_REGIONS:
        return f"0{text}"
    found = _BY_NAME.get(_folded(text))
    if found is None:
        raise RegionError(
            f"{value!r} is neither a French region (INSEE code such as 84, or its name) "
            "nor a country (ISO 3166 code such as BE)"
        )
    return found


def region_name(code: str, *, language: str = "en") -> str:
    """Return a region's name for people (French regions keep their official name)."""
    if code in FRENCH_REGIONS:
        return FRENCH_REGIONS[code]
    try:
        names = Locale.parse(language.replace("-", "_")).territories
    except (ValueError, TypeError, UnknownLocaleError):
        names = Locale.parse("en").territories
    return str(names.get(code, _COUNTRIES_EN.get(code, code)))


def covering(code: str) -> list[str]:
    """Return the codes whose providers serve ``code``: itself, and France for its regions."""
    return [code, FRANCE] if code in FRENCH_REGIONS else [code]
