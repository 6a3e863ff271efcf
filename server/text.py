"""Local text: Markdown to safe HTML (raw HTML off), and plain-text helpers."""

from __future__ import annotations

import html
from functools import lru_cache

from markdown_it import MarkdownIt

__all__ = ["escape", "render_markdown"]


@lru_cache(maxsize=1)
def _markdown() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})


def render_markdown(source: str) -> str:
    """Return the HTML of a Markdown text; raw HTML in the source is escaped, never passed."""
    return _markdown().render(source).strip() if source.strip() else ""


def escape(text: str) -> str:
    """Return text escaped for HTML content and attributes."""
    return html.escape(text, quote=True)
