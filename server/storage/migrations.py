"""Apply Alembic migrations from code (``communs migrate`` and the start of ``communs serve``)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from alembic.config import Config
from alembic.script import ScriptDirectory

from alembic import command

__all__ = ["alembic_config", "head_revisions", "upgrade"]


def _script_location() -> Path:
    """Return the ``alembic/`` folder: beside the packages in a checkout, else in the cwd."""
    for base in (Path(__file__).resolve().parents[2], Path.cwd()):
        if (base / "alembic" / "env.py").is_file():
            return base / "alembic"
    raise FileNotFoundError("alembic/ migrations folder not found")


def alembic_config(database_url: str) -> Config:
    """Return an Alembic configuration bound to one database."""
    config = Config()
    config.set_main_option("script_location", str(_script_location()))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade(database_url: str) -> None:
    """Bring the database schema to the newest revision (idempotent)."""
    command.upgrade(alembic_config(database_url), "head")


@cache
def head_revisions() -> frozenset[str]:
    """Return the newest revision(s) of the migrations, read once per process."""
    config = Config()
    config.set_main_option("script_location", str(_script_location()))
    return frozenset(ScriptDirectory.from_config(config).get_heads())
