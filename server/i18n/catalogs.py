"""Keeping the catalogs in step with the code: the strings ``babel.cfg`` marks, extracted
(``scripts/catalogs`` updates the ``.po`` files with them; a test checks none is missing)."""

from __future__ import annotations

from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg

__all__ = ["KEYWORDS", "extract_messages"]

KEYWORDS = {"_": None, "N_": None, "gettext": None, "ngettext": (1, 2), "ungettext": (1, 2)}


def extract_messages(root: Path) -> Catalog:
    """Return a template catalog of every string marked in the files ``root/babel.cfg`` names."""
    with (root / "babel.cfg").open() as file:
        method_map, options_map = parse_mapping_cfg(file)  # type: ignore[no-untyped-call]
    template = Catalog(project="communs", charset="utf-8")
    found = extract_from_dir(root, method_map, options_map, keywords=KEYWORDS)
    for filename, lineno, message, comments, context in found:
        template.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return template
