"""SPDX licence expressions: checked, normalised, and corrected with a suggestion.

People write licences loosely ("GPL", "GPL-3.0", "Apache 2"). A public buyer reading a project
needs the exact licence, so an expression typed here must use current SPDX identifiers: an alias
or a deprecated identifier is refused with the identifiers it could mean ("GPL: did you mean
GPL-3.0-only or GPL-3.0-or-later?"), never silently turned into one of them. ``LicenseRef-…``
identifiers (licences outside the SPDX list) are accepted as SPDX allows. What other instances
send is read leniently instead: aliases become their current identifier.
"""

from __future__ import annotations

import re
from functools import lru_cache

from license_expression import get_spdx_licensing

from server.errors import Invalid
from server.i18n import N_, Message

__all__ = ["LICENSE_MAX", "normalize_license"]

_licensing = get_spdx_licensing()

#: The longest licence expression the ``project`` table holds.
LICENSE_MAX = 200

_LICENSE_REF = re.compile(r"(?:DocumentRef-[A-Za-z0-9.-]+:)?LicenseRef-[A-Za-z0-9.-]+")
_OPERATORS = frozenset({"and", "or", "with"})
_TOKEN = re.compile(r"[^\s()]+")
_VERSIONED = re.compile(r"(?P<base>.+)-(?P<version>\d+(?:\.\d+)*)-(?:only|or-later)")


@lru_cache(maxsize=1)
def _identifiers() -> tuple[dict[str, str], dict[str, str]]:
    """Return the current SPDX identifiers and the aliases, both by lower-case spelling."""
    current: dict[str, str] = {}
    aliases: dict[str, str] = {}
    for key, symbol in _licensing.known_symbols.items():
        current[key.lower()] = key
        for alias in symbol.aliases:
            aliases.setdefault(alias.lower(), key)
    return current, aliases


def _suggestion(token: str, key: str) -> tuple[str, ...]:
    """Return what an alias ``token`` of the identifier ``key`` most likely meant (one or two
    identifiers)."""
    current, _ = _identifiers()
    if (versioned := _VERSIONED.fullmatch(key)) is None:
        return (key,)
    base = versioned["base"]
    if token.lower() == base.lower():  # no version given ("GPL"): the latest one
        pattern = re.compile(re.escape(base) + r"-(\d+(?:\.\d+)*)-only", re.IGNORECASE)
        versions = [m[1] for k in current.values() if (m := pattern.fullmatch(k))]
        if versions:
            latest = max(versions, key=lambda v: tuple(int(part) for part in v.split(".")))
            return f"{base}-{latest}-only", f"{base}-{latest}-or-later"
    elif token.lower() == f"{base}-{versioned['version']}".lower():  # "GPL-3.0": which of two
        return f"{base}-{versioned['version']}-only", f"{base}-{versioned['version']}-or-later"
    return (key,)


def _problems(expression: str) -> list[Message]:
    """Return what is wrong with each identifier of ``expression`` (nothing when all are
    current SPDX identifiers or ``LicenseRef``s)."""
    current, aliases = _identifiers()
    problems = []
    for token in _TOKEN.findall(expression):
        spelled = token.lower()
        if spelled in _OPERATORS or spelled in current or _LICENSE_REF.fullmatch(token):
            continue
        if (key := aliases.get(spelled)) is not None:
            match _suggestion(token, key):
                case (one,):
                    said = Message(N_("{token}: did you mean {one}?"), token=token, one=one)
                case (one, other):
                    said = Message(
                        N_("{token}: did you mean {one} or {other}?"),
                        token=token,
                        one=one,
                        other=other,
                    )
            problems.append(said)
        else:
            problems.append(Message(N_("{token}: not an SPDX licence identifier"), token=token))
    return problems


def normalize_license(expression: str, *, strict: bool = True) -> str:
    """Return the SPDX expression normalised (current identifiers, operators in capitals).

    ``strict`` (what people type here) refuses aliases and deprecated identifiers with a
    suggestion; without it (what other servers send, directory filters) they are read as the
    identifier they stand for. Raises ``Invalid`` naming the field ``license``.
    """
    if strict and (problems := _problems(expression)):
        first = problems[0]  # one at a time: each is a sentence of its own for people
        raise Invalid(first.msgid, field="license", **first.params)
    try:
        parsed = _licensing.parse(expression, validate=False, strict=True)
    except Exception:  # license-expression raises on some inputs it should report (``MIT/``)
        raise Invalid(
            N_("not a valid SPDX license expression: {expression}"),
            field="license",
            expression=expression,
        ) from None
    if parsed is None:
        raise Invalid(N_("empty"), field="license")
    unknown = [
        symbol.key
        for symbol in _licensing.license_symbols(parsed)
        if symbol.key.lower() not in _identifiers()[0] and not _LICENSE_REF.fullmatch(symbol.key)
    ]
    if unknown:
        raise Invalid(
            N_("not a valid SPDX license expression: {expression}"),
            field="license",
            expression=", ".join(unknown),
        )
    normalized = str(parsed)
    if len(normalized) > LICENSE_MAX:
        raise Invalid(
            N_("longer than {limit} characters once normalised"), field="license", limit=LICENSE_MAX
        )
    return normalized
