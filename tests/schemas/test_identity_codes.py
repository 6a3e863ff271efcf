"""SIREN/SIRET keys and region codes: what the API and the directory rely on."""

from __future__ import annotations

import pytest

from schemas.legal import check_siren, check_siret, luhn_valid
from schemas.regions import RegionError, covering, normalize_region, region_name


@pytest.mark.parametrize("value", ["732829320", "732 829 320", "356000000"])
def test_check_siren__valid_keys(value: str) -> None:
    assert check_siren(value) == value.replace(" ", "")


@pytest.mark.parametrize("value", ["732829321", "123456789", "73282932", "7328293200", "abcdefghi"])
def test_check_siren__wrong_key_or_length(value: str) -> None:
    with pytest.raises(ValueError):
        check_siren(value)


def test_check_siret__luhn_and_its_siren() -> None:
    assert check_siret("732 829 320 00074") == "73282932000074"
    with pytest.raises(ValueError, match="check digit"):
        check_siret("73282932000075")
    with pytest.raises(ValueError, match="SIREN"):
        check_siret("73282932100074")  # its first nine digits are not a valid SIREN


def test_check_siret__la_poste_establishments_add_up_to_five() -> None:
    # La Poste's establishments are numbered by digit sum (multiple of 5), not Luhn
    assert not luhn_valid("35600000000010")
    assert check_siret("35600000000010") == "35600000000010"
    with pytest.raises(ValueError):
        check_siret("35600000000011")


@pytest.mark.parametrize(
    ("given", "code"),
    [
        ("84", "84"),
        ("Auvergne-Rhône-Alpes", "84"),
        ("auvergne rhone alpes", "84"),
        ("Bretagne", "53"),
        ("4", "04"),
        ("be", "BE"),
        ("Belgique", "BE"),
        ("Belgium", "BE"),
        ("FR", "FR"),
    ],
)
def test_normalize_region__codes_and_names(given: str, code: str) -> None:
    assert normalize_region(given) == code


@pytest.mark.parametrize("given", ["99", "EU", "ZZ", "Atlantis", ""])
def test_normalize_region__unknown(given: str) -> None:
    with pytest.raises(RegionError):
        normalize_region(given)


def test_region_name__french_regions_keep_their_name_countries_are_translated() -> None:
    assert region_name("84", language="en") == "Auvergne-Rhône-Alpes"
    assert region_name("BE", language="fr") == "Belgique"
    assert region_name("BE", language="en") == "Belgium"
    assert region_name("BE", language="xx-nonsense") == "Belgium"


def test_covering__france_serves_its_regions() -> None:
    assert covering("84") == ["84", "FR"]
    assert covering("BE") == ["BE"]
