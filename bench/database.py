"""Scratch databases and bulk seeding, set-wise in SQL so 100 000 rows take a second or two.

A scratch database is a SQLite file in the run's folder or a fresh PostgreSQL database on the
server of ``COMMUNS_TEST_POSTGRES_URL``, migrated with Alembic and dropped afterwards.
"""

from __future__ import annotations

import os
from contextlib import AbstractContextManager
from datetime import datetime
from pathlib import Path

from sqlalchemy import insert, text

from schemas.api import ActorCreate
from schemas.states import FollowState
from server.clock import utcnow
from server.domain.actors import create_local_actor, ensure_instance_actor
from server.domain.tokens import issue_token
from server.storage import scratch
from server.storage.db import Database
from server.storage.models import Actor
from server.urls import Urls

__all__ = [
    "Publisher",
    "add_followers",
    "add_signers",
    "backends",
    "create_publisher",
    "scratch_database",
]

POSTGRES_ENV = "COMMUNS_TEST_POSTGRES_URL"


def backends() -> list[str]:
    """Return ``sqlite``, plus ``postgresql`` when the environment names a server."""
    return ["sqlite"] + (["postgresql"] if os.environ.get(POSTGRES_ENV) else [])


def scratch_database(backend: str, work_dir: Path) -> AbstractContextManager[str]:
    """Return a context giving the URL of a new migrated database of ``backend``, dropped
    afterwards."""
    postgres_url = os.environ[POSTGRES_ENV] if backend == "postgresql" else None
    return scratch.scratch_database(work_dir, postgres_url=postgres_url, prefix="bench")


class Publisher:
    """A local actor with a read/write API token."""

    def __init__(self, actor_id: int, username: str, token: str, private_key_pem: str) -> None:
        self.actor_id = actor_id
        self.username = username
        self.token = token
        self.private_key_pem = private_key_pem


async def create_publisher(db: Database, base_url: str, username: str) -> Publisher:
    """Return a new local actor of the instance at ``base_url``, with its token."""
    urls = Urls(base_url)
    domain = base_url.split("://", 1)[1]
    async with db.session() as session:
        await ensure_instance_actor(session, urls, domain)
        actor = await create_local_actor(
            session, urls, domain, ActorCreate(username=username, name=username.title())
        )
        assert actor.id is not None and actor.private_key_pem is not None
        token = await issue_token(session, actor_id=actor.id, scopes=["read", "write"])
    return Publisher(actor.id, username, token, actor.private_key_pem)


def _series(dialect: str) -> tuple[str, str]:
    """Return (WITH prefix, FROM clause) producing integers ``k`` from 1 to ``:n``."""
    if dialect == "sqlite":
        return (
            "WITH RECURSIVE g(k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM g WHERE k < :n) ",
            "g",
        )
    return "", "generate_series(1, :n) AS g(k)"


def _timestamp(db: Database, moment: datetime) -> object:
    """Return ``moment`` as the driver expects it in a raw statement (naive text on SQLite)."""
    if db.is_sqlite:
        return moment.replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")
    return moment


async def add_followers(
    db: Database,
    followed_id: int,
    count: int,
    *,
    tag: str,
    inbox_base: str,
    shared: int = 0,
    analyze: bool = True,
) -> None:
    """Insert ``count`` remote actors following ``followed_id`` (accepted), in two statements.

    Follower *k* has the personal inbox ``{inbox_base}/i/{k}`` on its own host
    ``f{k}.{tag}.bench``; with ``shared`` > 0 it sits on host ``s{k % shared}.{tag}.bench``
    whose shared inbox is ``{inbox_base}/s/{k % shared}``. With ``analyze`` false, PostgreSQL
    keeps no statistics of them, as after a bulk import into a fresh database.
    """
    prefix, source = _series("sqlite" if db.is_sqlite else "postgresql")
    if shared:
        domain = f"'s' || (k % {shared}) || '.{tag}.bench'"
        shared_inbox = f"'{inbox_base}/s/' || (k % {shared})"
    else:
        domain = f"'f' || k || '.{tag}.bench'"
        shared_inbox = "NULL"
    now = _timestamp(db, utcnow())
    actors = text(
        f"{prefix}INSERT INTO actor (uri, username, domain, is_local, type, name, inbox_uri, "
        "shared_inbox_uri, manually_approves_followers, discoverable, created_at, updated_at) "
        f"SELECT 'https://' || {domain} || '/users/u' || k, 'u' || k, {domain}, false, "
        f"'Person', 'u' || k, '{inbox_base}/i/' || k, {shared_inbox}, false, true, :now, :now "
        f"FROM {source}"
    )
    follows = text(
        "INSERT INTO follow (uri, follower_id, followed_id, state, created_at, accepted_at) "
        "SELECT actor.uri || :suffix, actor.id, :followed, :state, :now, :now "
        f"FROM actor WHERE actor.domain LIKE '%.{tag}.bench'"
    )
    async with db.session() as session:
        await session.execute(actors, {"n": count, "now": now})
        await session.execute(
            follows,
            {
                "suffix": f"#follows/{followed_id}",
                "followed": followed_id,
                "state": FollowState.accepted.value,
                "now": now,
            },
        )
        await session.commit()
    if analyze and not db.is_sqlite:
        # What autovacuum does within a minute of such a load on a running server. Without
        # statistics, PostgreSQL weighs plans as if the tables were empty, and may loop over
        # every actor for every follower (seconds for 20 000): not what the bench measures.
        async with db.engine.begin() as connection:
            await connection.execute(text("ANALYZE actor, follow"))


async def add_signers(
    db: Database, count: int, public_pems: list[str], *, inbox_base: str | None = None
) -> list[str]:
    """Insert ``count`` remote actors with known keys (PEMs reused round-robin); return URIs.

    Actor *k* is ``https://r{k % 50}.signers.bench/users/u{k}``, key ``…#main-key``; its inbox
    is ``{inbox_base}/u{k}`` when given (a recording inbox), else on its own host.
    """
    now = utcnow()
    uris = [f"https://r{k % 50}.signers.bench/users/u{k}" for k in range(count)]
    rows = [
        {
            "uri": uri,
            "username": f"u{k}",
            "domain": f"r{k % 50}.signers.bench",
            "is_local": False,
            "type": "Person",
            "name": f"u{k}",
            "inbox_uri": f"{inbox_base}/u{k}" if inbox_base else f"{uri}/inbox",
            "key_id": f"{uri}#main-key",
            "public_key_pem": public_pems[k % len(public_pems)],
            "manually_approves_followers": False,
            "discoverable": True,
            "created_at": now,
            "updated_at": now,
            "fetched_at": now,
        }
        for k, uri in enumerate(uris)
    ]
    async with db.session() as session:
        await session.execute(insert(Actor), rows)
        await session.commit()
    return uris
