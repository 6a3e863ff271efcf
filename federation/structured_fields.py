"""RFC 8941 structured fields: the subset needed for Signature-Input, Signature, Content-Digest.

Parsing structured-field dictionaries is a concept of its own, independent of HTTP message
signatures: ``federation.digest`` needs it for ``Content-Digest`` as much as
``federation.rfc9421`` does for ``Signature-Input`` and ``Signature``. ``federation.rfc9421``
re-exports these names.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass, field

__all__ = [
    "BareItem",
    "InnerList",
    "Item",
    "Member",
    "StructuredFieldError",
    "Token",
    "parse_dictionary",
]


class StructuredFieldError(ValueError):
    """A header is not a valid RFC 8941 structured field of the expected type."""


@dataclass(frozen=True)
class Token:
    """An sf-token; kept apart from ``str`` so a token never passes for an sf-string."""

    value: str


BareItem = int | float | str | bytes | bool | Token


@dataclass(frozen=True)
class Item:
    """An RFC 8941 item: a bare value with parameters."""

    value: BareItem
    params: dict[str, BareItem] = field(default_factory=dict)


@dataclass(frozen=True)
class InnerList:
    """An RFC 8941 inner list with its parameters."""

    items: tuple[Item, ...]
    params: dict[str, BareItem]


@dataclass(frozen=True)
class Member:
    """A dictionary member; ``raw`` is its value exactly as received, for ``@signature-params``."""

    value: Item | InnerList
    raw: str


_KEY = re.compile(r"[a-z*][a-z0-9_\-.*]*")
_TOKEN = re.compile(r"[A-Za-z*][!#$%&'*+\-.^_`|~0-9A-Za-z:/]*")
_NUMBER = re.compile(r"-?(\d{1,15})(\.\d{1,3})?")
_BYTES = re.compile(r":([A-Za-z0-9+/=]*):")
_STRING_CHARS = re.compile(r"[ !#-\[\]-~]+")


class _Parser:
    """Recursive-descent parser following the algorithms of RFC 8941 §4.2."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def fail(self, what: str) -> StructuredFieldError:
        return StructuredFieldError(f"{what} at offset {self.pos}")

    def peek(self) -> str:
        return self.text[self.pos : self.pos + 1]

    def skip(self, chars: str) -> None:
        while self.peek() and self.peek() in chars:
            self.pos += 1

    def dictionary(self) -> dict[str, Member]:
        members: dict[str, Member] = {}
        self.skip(" ")
        while self.pos < len(self.text):
            name = self.key()
            if name in members:
                raise self.fail(f"duplicate member {name!r}")
            if self.peek() == "=":
                self.pos += 1
                start = self.pos
                value: Item | InnerList = self.inner_list() if self.peek() == "(" else self.item()
            else:
                start = self.pos
                value = Item(True, self.params())
            members[name] = Member(value, self.text[start : self.pos])
            self.skip(" \t")
            if self.pos == len(self.text):
                break
            if self.peek() != ",":
                raise self.fail("expected ','")
            self.pos += 1
            self.skip(" \t")
            if self.pos == len(self.text):
                raise self.fail("trailing ','")
        return members

    def inner_list(self) -> InnerList:
        self.pos += 1  # "("
        items: list[Item] = []
        while True:
            self.skip(" ")
            if self.peek() == ")":
                self.pos += 1
                return InnerList(tuple(items), self.params())
            items.append(self.item())
            if self.peek() not in (" ", ")"):
                raise self.fail("expected ' ' or ')' in inner list")

    def item(self) -> Item:
        return Item(self.bare_item(), self.params())

    def params(self) -> dict[str, BareItem]:
        params: dict[str, BareItem] = {}
        while self.peek() == ";":
            self.pos += 1
            self.skip(" ")
            name = self.key()
            if name in params:
                raise self.fail(f"duplicate parameter {name!r}")
            value: BareItem = True
            if self.peek() == "=":
                self.pos += 1
                value = self.bare_item()
            params[name] = value
        return params

    def key(self) -> str:
        return self.match(_KEY, "key").group()

    def match(self, pattern: re.Pattern[str], what: str) -> re.Match[str]:
        found = pattern.match(self.text, self.pos)
        if found is None:
            raise self.fail(f"expected {what}")
        self.pos = found.end()
        return found

    def bare_item(self) -> BareItem:
        char = self.peek()
        if char == '"':
            return self.string()
        if char == ":":
            encoded = self.match(_BYTES, "byte sequence").group(1)
            try:
                return base64.b64decode(encoded, validate=True)
            except binascii.Error as exc:
                raise self.fail("invalid base64 in byte sequence") from exc
        if char == "?":
            flag = self.text[self.pos : self.pos + 2]
            if flag not in ("?0", "?1"):
                raise self.fail("expected boolean")
            self.pos += 2
            return flag == "?1"
        if char == "-" or char.isdigit():
            number = self.match(_NUMBER, "number")
            if number.group(2) is None:
                return int(number.group())
            if len(number.group(1)) > 12:
                raise self.fail("decimal with more than 12 integer digits")
            return float(number.group())
        return Token(self.match(_TOKEN, "bare item").group())

    def string(self) -> str:
        self.pos += 1  # opening quote
        chunks: list[str] = []
        while True:
            run = _STRING_CHARS.match(self.text, self.pos)
            if run is not None:
                chunks.append(run.group())
                self.pos = run.end()
            char = self.peek()
            if char == '"':
                self.pos += 1
                return "".join(chunks)
            if char == "\\" and self.text[self.pos + 1 : self.pos + 2] in ('"', "\\"):
                chunks.append(self.text[self.pos + 1])
                self.pos += 2
                continue
            raise self.fail("invalid character in string")


def parse_dictionary(text: str) -> dict[str, Member]:
    """Return the members of an RFC 8941 dictionary field, in order.

    Raises ``StructuredFieldError`` for anything that is not one (duplicate keys included).
    """
    if not text.isascii():
        raise StructuredFieldError("structured fields are ASCII")
    parser = _Parser(text.rstrip(" "))
    return parser.dictionary()
