"""Atom feeds (RFC 4287), written with the standard library's XML writer (escaping included)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from xml.etree import ElementTree

__all__ = ["ATOM_MEDIA_TYPE", "FeedEntry", "atom_feed"]

ATOM_MEDIA_TYPE = "application/atom+xml; charset=utf-8"
_NS = "http://www.w3.org/2005/Atom"


@dataclass(frozen=True)
class FeedEntry:
    """One entry: ``uri`` is its permanent id, ``url`` the page people open."""

    uri: str
    url: str
    title: str
    summary: str
    author: str
    published: datetime
    updated: datetime


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _add(parent: ElementTree.Element, tag: str, text: str | None = None, **attrs: str) -> None:
    element = ElementTree.SubElement(parent, tag, attrs)
    element.text = text


def atom_feed(
    *,
    feed_id: str,
    title: str,
    self_url: str,
    page_url: str,
    author: str,
    updated: datetime,
    entries: Sequence[FeedEntry],
) -> bytes:
    """Return an Atom feed document: ``updated`` is the newest entry's (or ``updated`` itself
    when there is none), every entry has an author (the feed's, unless its own)."""
    feed = ElementTree.Element("feed", {"xmlns": _NS})
    _add(feed, "id", feed_id)
    _add(feed, "title", title)
    newest = max((e.updated for e in entries), default=updated)
    _add(feed, "updated", _stamp(newest))
    _add(feed, "link", rel="self", type="application/atom+xml", href=self_url)
    _add(feed, "link", rel="alternate", type="text/html", href=page_url)
    writer = ElementTree.SubElement(feed, "author")
    _add(writer, "name", author)
    _add(feed, "generator", "Communs")
    for item in entries:
        entry = ElementTree.SubElement(feed, "entry")
        _add(entry, "id", item.uri)
        _add(entry, "title", item.title)
        _add(entry, "link", rel="alternate", type="text/html", href=item.url)
        _add(entry, "published", _stamp(item.published))
        _add(entry, "updated", _stamp(item.updated))
        by = ElementTree.SubElement(entry, "author")
        _add(by, "name", item.author)
        if item.summary:
            _add(entry, "summary", item.summary, type="text")
    body: bytes = ElementTree.tostring(feed, encoding="utf-8", xml_declaration=True)
    return body
