"""Full-text search of projects, funding calls and actors, ignoring case and accents.

The indexes are the database's own, made and kept in step by migration 0013: on SQLite, FTS5
tables (tokenizer ``unicode61 remove_diacritics 2``) filled by triggers on every write; on
PostgreSQL, a generated ``search_vector`` column of each table (``communs_search_vector(…)``, a
``tsvector`` through a text search configuration that passes every word through ``unaccent``
then lower-cases it) under a GIN index. Either way a
query is the words of what was typed, each matched as a word prefix (``répar`` finds
"Réparation", ``RÉPARATION`` too), all of them required. A scan with ``ILIKE '%…%'`` over
every row was both slower and blind to accents (docs/performance.md, tenth round).
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import Column, ColumnElement, Text, bindparam, false
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.types import NullType

__all__ = ["is_search_object", "matches_words", "words_of"]

#: Every table, trigger and index of the search is named with this prefix (its PostgreSQL
#: functions are ``communs_search_vector`` and ``communs_search_query``).
_PREFIX = "search_"

_WORD = re.compile(r"[^\W_]+")


def is_search_object(name: str | None) -> bool:
    """Whether a database object belongs to the search indexes (migrations, not models)."""
    return bool(name) and str(name).startswith(_PREFIX)


def words_of(text: str) -> list[str]:
    """Return the words of a query: runs of letters and digits, at most 16 of them."""
    return _WORD.findall(text)[:16]


class _Matches(ColumnElement[bool]):
    """The row whose id is ``key`` holds every word of ``words`` (as word prefixes)."""

    #: The words are written into the statement when it is compiled: never cache it.
    inherit_cache = False
    #: Not ``Boolean``: SQLite would be given ``(… IN (…)) = 1``, which its planner cannot
    #: read as the ``IN`` it is.
    type = NullType()  # type: ignore[assignment]

    def __init__(self, key: Column[Any], words: list[str], since: Any) -> None:
        self.id_column = key
        self.table = str(key.table.name)
        self.words = words
        self.since = since


def matches_words(key: Any, text: str, *, since: Any = None) -> ColumnElement[bool]:
    """Return the condition "the row whose id column is ``key`` (a project's, a funding
    call's or an actor's) matches ``text``": every word of it, ignoring case and accents.
    No words, no condition.

    ``since``: an SQL expression; the query asks only about rows whose key is at least this
    (a page among the newest rows), so SQLite reads only that range of its full-text index,
    and PostgreSQL checks those rows one by one rather than reading every match.
    """
    words = words_of(text)
    if not words:
        return ~false()
    column = key.__clause_element__() if hasattr(key, "__clause_element__") else key
    return _Matches(column, words, since)


@compiles(_Matches, "sqlite")
def _sqlite(element: _Matches, compiler: SQLCompiler, **kw: Any) -> str:
    # FTS5: each word a quoted string (no operator can slip in), ``*`` for its prefix.
    query = " AND ".join(f'"{word}"*' for word in element.words)
    matched = f"SELECT rowid FROM search_{element.table} WHERE search_{element.table} MATCH "
    matched += compiler.process(bindparam(None, query, type_=Text), **kw)
    key = compiler.process(element.id_column, **kw)
    since = None
    if element.since is not None:
        since = compiler.process(element.since, **kw)
    if element.table == "actor":  # its integer id is the FTS row id
        if since is not None:
            matched += f" AND rowid >= {since}"
        return f"{key} IN ({matched})"
    if since is not None:  # the keys of those rows: a range of the index (a superset)
        keys = f"FROM search_key WHERE ref >= {since}"
        matched += f" AND rowid BETWEEN (SELECT min(id) {keys}) AND (SELECT max(id) {keys})"
    return f"{key} IN (SELECT ref FROM search_key WHERE id IN ({matched}))"


@compiles(_Matches, "postgresql")
def _postgresql(element: _Matches, compiler: SQLCompiler, **kw: Any) -> str:
    # ``search_vector``: the generated column the GIN index covers (not in the models).
    query = " & ".join(f"'{word}':*" for word in element.words)
    key = compiler.process(element.id_column, **kw)
    vector = key.rsplit(".", 1)[0] + ".search_vector" if "." in key else "search_vector"
    bound = compiler.process(bindparam(None, query, type_=Text), **kw)
    if element.since is not None:
        # Among the newest rows, each row's stored vector is checked as the key's index is
        # walked: ``ts_match_vq`` is ``@@`` that the GIN index cannot serve. PostgreSQL
        # guesses a prefix query matches a few rows (20 where 46 820 did) and would read
        # every match through the index, then keep the window's (54 ms against 1.3 ms).
        return f"ts_match_vq({vector}, communs_search_query({bound}))"
    return f"{vector} @@ communs_search_query({bound})"
