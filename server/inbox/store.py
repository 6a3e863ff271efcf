"""The SQL implementation of ``federation.ports``, and the personal inboxes' view of it."""

from __future__ import annotations

import asyncio
import time

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from federation.ports import KnownKey, KnownMultikey, RemoteActor
from schemas.states import DomainBlock
from server.clock import utcnow
from server.domain.actors import get_local_actor
from server.domain.remote_actors import store_remote_actor
from server.errors import Gone
from server.inbox.ingest import GroupCommitter
from server.storage.db import Database
from server.storage.domains import rule_for
from server.storage.models import Actor, Domain

__all__ = ["DOMAIN_TTL", "PersonalInbox", "SqlStore"]

#: Seconds a process trusts its cached list of blocked and unavailable hosts.
DOMAIN_TTL = 5.0

#: Usernames remembered as having a personal inbox (local actors only: bounded by them).
_KNOWN_INBOXES = 100_000


class SqlStore:
    """Actors, keys, incoming activities and domain state, in the database."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._ingest = GroupCommitter(db)
        self._domains_until = 0.0
        self._rules: dict[str, str] = {}  # host → its block, for hosts that have one
        self._unavailable: frozenset[str] = frozenset()
        self._reading: asyncio.Task[None] | None = None
        self._generation = 0  # bumped by forget_domains: a read begun before is not kept
        self._inboxes: set[str] = set()  # local actors seen in the database, never deleted

    async def _domain_policy(self) -> tuple[dict[str, str], frozenset[str]]:
        """Return (block rules, unavailable hosts), re-read at most every ``DOMAIN_TTL`` seconds.

        The inbox asks on every request; the answer changes only on moderation or failures.
        One read serves every request that finds the copy stale (they all wait for it).
        """
        if time.monotonic() >= self._domains_until:
            if self._reading is None or self._reading.done():
                self._reading = asyncio.create_task(self._read_domains())
            await asyncio.shield(self._reading)
        return self._rules, self._unavailable

    async def _read_domains(self) -> None:
        generation = self._generation
        async with self.db.session() as session:
            rows = (
                await session.execute(select(Domain.host, Domain.block, Domain.is_unavailable))
            ).all()
        if generation != self._generation:
            return
        self._rules = {h: block for h, block, _ in rows if block != DomainBlock.none}
        self._unavailable = frozenset(h for h, _, down in rows if down)
        self._domains_until = time.monotonic() + DOMAIN_TTL

    def forget_domains(self) -> None:
        """Drop the cached domain policy (after moderation in this process)."""
        self._generation += 1
        self._domains_until = 0.0
        self._reading = None

    async def find_key(self, key_id: str) -> KnownKey | None:
        async with self.db.session() as session:
            row = (
                await session.execute(
                    select(Actor.key_id, Actor.uri, Actor.public_key_pem).where(
                        Actor.key_id == key_id
                    )
                )
            ).first()
        if row is None or row[2] is None:
            return None
        return KnownKey(key_id=key_id, actor_uri=row[1], public_key_pem=row[2])

    async def find_multikey(self, controller: str) -> KnownMultikey | None:
        async with self.db.session() as session:
            row = (
                await session.execute(
                    select(Actor.assertion_key_id, Actor.assertion_public_key).where(
                        Actor.uri == controller
                    )
                )
            ).first()
        if row is None or row[0] is None or row[1] is None:
            return None
        return KnownMultikey(key_id=row[0], controller=controller, public_key_multibase=row[1])

    async def save_multikey(self, key: KnownMultikey) -> None:
        async with self.db.session() as session:
            await session.execute(
                update(Actor)
                .where(Actor.uri == key.controller, Actor.is_local == False)
                .values(assertion_key_id=key.key_id, assertion_public_key=key.public_key_multibase)
            )
            await session.commit()

    async def knows_actor(self, actor_uri: str) -> bool:
        async with self.db.session() as session:
            found = await session.scalar(select(Actor.id).where(Actor.uri == actor_uri))
        return found is not None

    async def save_remote_actor(self, actor: RemoteActor) -> None:
        async with self.db.session() as session:
            await store_remote_actor(session, actor)
            try:
                await session.commit()
            except IntegrityError:  # saved concurrently, or a stale row holds the key id
                await session.rollback()

    async def is_blocked(self, host: str) -> bool:
        rules = (await self._domain_policy())[0]
        return bool(rules) and rule_for(rules, host) == DomainBlock.reject

    async def host_is_alive(self, host: str) -> None:
        if host not in (await self._domain_policy())[1]:
            return
        self.forget_domains()
        async with self.db.session() as session:
            await session.execute(
                update(Domain)
                .where(Domain.host == host, Domain.is_unavailable == True)
                .values(is_unavailable=False, failure_days=[], updated_at=utcnow())
            )
            await session.commit()

    async def record_incoming(
        self,
        *,
        uri: str,
        type: str,
        actor_uri: str,
        object_uri: str | None,
        body: bytes,
        owner: str | None = None,
    ) -> bool:
        """Store an accepted activity; ``owner`` names the personal inbox it came to.

        Raises ``Gone`` when that inbox's actor was deleted.
        """
        try:
            return await self._ingest.record(
                uri=uri,
                type=type,
                actor_uri=actor_uri,
                object_uri=object_uri,
                body=body,
                owner=owner,
            )
        except Gone:
            if owner is not None:
                self._inboxes.discard(owner)
            raise

    def forget_inbox(self, username: str) -> None:
        """Forget a local actor this process deleted: its inbox answers 410 before anything."""
        self._inboxes.discard(username)

    async def personal_inbox(self, username: str) -> PersonalInbox:
        """Return the inbox of the local actor ``username``.

        An actor this process has not seen yet is looked up, so that requests to unknown
        names are refused before any signature work or key fetch. Raises ``NotFound`` or
        ``Gone``. Known names cost nothing; the batch that stores the activity checks again
        that the actor was not deleted meanwhile, by this process or another.
        """
        if username not in self._inboxes:
            async with self.db.session() as session:
                await get_local_actor(session, username)
            if len(self._inboxes) >= _KNOWN_INBOXES:
                self._inboxes.clear()
            self._inboxes.add(username)
        return PersonalInbox(self, username)

    async def close(self) -> None:
        """Write what is still queued, then stop the ingest writer."""
        await self._ingest.close()


class PersonalInbox:
    """The ``InboxStore`` of one local actor's inbox: its activities are stored only while
    the actor exists (checked in the batch that stores them)."""

    __slots__ = ("_store", "username")

    def __init__(self, store: SqlStore, username: str) -> None:
        self._store = store
        self.username = username

    async def is_blocked(self, host: str) -> bool:
        return await self._store.is_blocked(host)

    async def host_is_alive(self, host: str) -> None:
        await self._store.host_is_alive(host)

    async def record_incoming(
        self, *, uri: str, type: str, actor_uri: str, object_uri: str | None, body: bytes
    ) -> bool:
        """Store an activity for this inbox; raises ``Gone`` once its actor is deleted."""
        return await self._store.record_incoming(
            uri=uri,
            type=type,
            actor_uri=actor_uri,
            object_uri=object_uri,
            body=body,
            owner=self.username,
        )
