"""Allow-list sanitising of remote HTML, at least as strict as Mastodon's ``MASTODON_STRICT``."""

from __future__ import annotations

import nh3

__all__ = ["sanitize_html"]

_TAGS = {
    "p",
    "br",
    "span",
    "a",
    "del",
    "s",
    "pre",
    "blockquote",
    "code",
    "b",
    "strong",
    "u",
    "i",
    "em",
    "ul",
    "ol",
    "li",
}
_ATTRIBUTES = {
    "*": {"lang"},
    "a": {"href", "class", "translate"},
    "span": {"class", "translate"},
    "ol": {"start", "reversed"},
    "li": {"value"},
    "p": {"class"},
}
_SCHEMES = {
    "http",
    "https",
    "dat",
    "dweb",
    "ipfs",
    "ipns",
    "ssb",
    "gopher",
    "xmpp",
    "magnet",
    "gemini",
}
_KEPT_CLASSES = ("h-", "p-", "u-", "dt-", "e-", "mention", "hashtag", "ellipsis", "invisible")


def _filter_class(tag: str, attribute: str, value: str) -> str | None:
    if attribute != "class":
        return value
    kept = [c for c in value.split() if c.startswith(_KEPT_CLASSES[:5]) or c in _KEPT_CLASSES]
    return " ".join(kept) or None


def sanitize_html(html: str) -> str:
    """Return ``html`` with only Mastodon's allowed elements, attributes, classes and schemes.

    Scripts, styles, images, tables and iframes are removed with their content where they
    carry any; links get ``rel="nofollow noopener noreferrer"``.
    """
    return nh3.clean(
        html,
        tags=_TAGS,
        attributes=_ATTRIBUTES,
        url_schemes=_SCHEMES,
        link_rel="nofollow noopener noreferrer",
        attribute_filter=_filter_class,
        clean_content_tags={"script", "style"},
        strip_comments=True,
    )
