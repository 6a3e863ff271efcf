"""Local text: Markdown to safe HTML (raw HTML off), and plain-text helpers."""

from __future__ import annotations

import html
from functools import lru_cache

from markdown_it import MarkdownIt

__all__ = ["escape", "render_markdown"]


@lru_cache(maxsize=1)
def _markdown() -> MarkdownIt:
    """CommonMark, with bare ``http(s)://`` URLs made links: Mastodon never links a remote
    post's text itself, so a URL left bare would reach its readers as plain text."""
    markdown = MarkdownIt("commonmark", {"html": False, "linkify": True, "typographer": False})
    markdown.enable("linkify")
    assert markdown.linkify is not None  # linkify-it-py, from markdown-it-py[linkify]
    markdown.linkify.set({"fuzzy_link": False, "fuzzy_email": False})  # schemes only
    return markdown


def render_markdown(source: str) -> str:
    """Return the HTML of a Markdown text; raw HTML in the source is escaped, never passed."""
    return _markdown().render(source).strip() if source.strip() else ""


def escape(text: str) -> str:
    """Return text escaped for HTML content and attributes."""
    return html.escape(text, quote=True)
