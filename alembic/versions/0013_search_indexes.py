"""search indexes: full-text search of projects, funding calls and actors, ignoring case and
accents (SQLite FTS5 kept by triggers; PostgreSQL unaccent, generated tsvector columns, GIN indexes);
one-column filter indexes become (column, id)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 14:30:00

server/storage/search.py queries what this makes; the names here are spelled out so that the
migration never imports the application. Every object's name starts with ``search_`` (the
PostgreSQL functions excepted), which autogenerate comparisons leave out.

PostgreSQL needs the ``unaccent`` extension: it ships with PostgreSQL (contrib) and is
trusted, so the database's owner may create it; otherwise a superuser runs
``CREATE EXTENSION unaccent`` in the database first.
"""

from __future__ import annotations

from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

#: table → (indexed columns), in the order of server/storage/search.py.
SEARCHED = {
    "project": ("name", "summary", "description"),
    "funding_call": ("title", "summary", "description"),
    "actor": ("name", "username", "summary_html"),
}

_TOKENIZER = "unicode61 remove_diacritics 2"


#: (table, old one-column index, new index, its columns): a filter's column with the id after
#: it, so that the newest rows of one value come first, without sorting them all.
FILTER_INDEXES = [
    ("project", "ix_project_license", "ix_project_license_id", ["license", "id"]),
    ("project", "ix_project_status", "ix_project_status_id", ["status", "id"]),
    ("funding_call", "ix_funding_call_status", "ix_funding_call_status_id", ["status", "id"]),
    ("funding_call", None, "ix_funding_call_currency_id", ["currency", "id"]),
]


def upgrade() -> None:
    for table, old, new, columns in FILTER_INDEXES:
        if old is not None:
            op.drop_index(old, table_name=table)
        op.create_index(new, table, columns)
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_upgrade()
    else:
        _postgresql_upgrade()


def downgrade() -> None:
    for table, old, new, columns in FILTER_INDEXES:
        op.drop_index(new, table_name=table)
        if old is not None:
            op.create_index(old, table, columns[:1])
    if op.get_bind().dialect.name == "sqlite":
        for table in SEARCHED:
            for event in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS search_{table}_{event}")
            op.execute(f"DROP TABLE IF EXISTS search_{table}")
        op.execute("DROP TABLE IF EXISTS search_key")
        return
    for table in SEARCHED:
        op.execute(f"ALTER TABLE {table} DROP COLUMN IF EXISTS search_vector")
    op.execute("DROP FUNCTION IF EXISTS communs_search_query(text)")
    op.execute("DROP FUNCTION IF EXISTS communs_search_vector(text, text, text)")
    op.execute("DROP TEXT SEARCH CONFIGURATION IF EXISTS communs_search")
    # unaccent stays: other databases objects may use it, and dropping needs rights.


def _sqlite_upgrade() -> None:
    # Projects and calls have text ids, and SQLite's rowids of such tables may change on
    # VACUUM: search_key gives each a stable integer, the row id of its FTS entry.
    op.execute(
        "CREATE TABLE search_key (id INTEGER PRIMARY KEY, ref VARCHAR(32) NOT NULL UNIQUE)"
    )
    for table, columns in SEARCHED.items():
        names = ", ".join(columns)
        old = ", ".join(f"old.{c}" for c in columns)
        new = ", ".join(f"new.{c}" for c in columns)
        # Contentless: the text stays in its table; a deletion repeats the old values.
        op.execute(
            f"CREATE VIRTUAL TABLE search_{table} USING fts5({names}, content='', "
            f"tokenize='{_TOKENIZER}')"
        )
        fts = f"search_{table}"
        if table == "actor":  # an integer id: the FTS row id itself
            key_of_old, key_of_new = "old.id", "new.id"
            insert_key = drop_key = ""
            backfill = f"INSERT INTO {fts} (rowid, {names}) SELECT id, {names} FROM actor"
        else:
            key_of_old = "(SELECT id FROM search_key WHERE ref = old.id)"
            key_of_new = "last_insert_rowid()"  # of the search_key row just inserted
            insert_key = "INSERT INTO search_key (ref) VALUES (new.id); "
            drop_key = "DELETE FROM search_key WHERE ref = old.id; "
            op.execute(f"INSERT INTO search_key (ref) SELECT id FROM {table} ORDER BY id")
            backfill = (
                f"INSERT INTO {fts} (rowid, {names}) SELECT k.id, "
                + ", ".join(f"t.{c}" for c in columns)
                + f" FROM {table} t JOIN search_key k ON k.ref = t.id"
            )
        op.execute(backfill)
        forget = (
            f"INSERT INTO {fts} ({fts}, rowid, {names}) VALUES ('delete', {key_of_old}, {old}); "
        )
        op.execute(
            f"CREATE TRIGGER search_{table}_insert AFTER INSERT ON {table} BEGIN "
            f"{insert_key}INSERT INTO {fts} (rowid, {names}) VALUES ({key_of_new}, {new}); END"
        )
        op.execute(
            f"CREATE TRIGGER search_{table}_delete AFTER DELETE ON {table} BEGIN "
            f"{forget}{drop_key}END"
        )
        op.execute(
            f"CREATE TRIGGER search_{table}_update AFTER UPDATE OF {names} ON {table} BEGIN "
            f"{forget}INSERT INTO {fts} (rowid, {names}) VALUES ({key_of_old}, {new}); END"
        )


def _postgresql_upgrade() -> None:
    schema = op.get_bind().exec_driver_sql("SELECT current_schema()").scalar()
    op.execute("CREATE EXTENSION IF NOT EXISTS unaccent")
    op.execute("CREATE TEXT SEARCH CONFIGURATION communs_search (COPY = pg_catalog.simple)")
    op.execute(
        "ALTER TEXT SEARCH CONFIGURATION communs_search ALTER MAPPING FOR asciiword, "
        "asciihword, hword_asciipart, word, hword, hword_part, numword, numhword, "
        "hword_numpart WITH unaccent, simple"
    )
    # Immutable, so that indexes may use them: what unaccent does is fixed by its rules file.
    # The configuration is named with its schema: index upkeep may run with another path.
    config = f"'{schema}.communs_search'::regconfig"
    op.execute(
        "CREATE FUNCTION communs_search_vector(a text, b text, c text) RETURNS tsvector "
        "LANGUAGE sql IMMUTABLE PARALLEL SAFE AS "
        f"$$ SELECT to_tsvector({config}, concat_ws(' ', a, b, c)) $$"
    )
    op.execute(
        "CREATE FUNCTION communs_search_query(q text) RETURNS tsquery "
        f"LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT to_tsquery({config}, q) $$"
    )
    # A stored column rather than an index on the expression: a row that the planner reads
    # in id order is checked against the stored vector, not re-parsed (90 µs a row), and
    # ANALYZE keeps the frequencies of its words, so that a common word is read newest first
    # and a rare one from the index.
    for table, columns in SEARCHED.items():
        op.execute(
            f"ALTER TABLE {table} ADD COLUMN search_vector tsvector GENERATED ALWAYS AS "
            f"(communs_search_vector({', '.join(columns)})) STORED"
        )
        op.execute(f"CREATE INDEX search_{table} ON {table} USING gin (search_vector)")
