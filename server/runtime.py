"""The federation machinery of one process: HTTP client, fetcher, key resolvers, workers."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta
from functools import partial

import httpx

from federation.actors import KeyResolver
from federation.fetch import Fetcher
from federation.integrity import MultikeyResolver
from server.clock import Clock
from server.domain.actors import ensure_instance_actor
from server.domain.housekeeping import run_housekeeping
from server.http.doccache import DocumentCache
from server.inbox.store import SqlStore
from server.inbox.worker import InboxWorker
from server.media import MediaFiles, retire_orphans
from server.publishing.client import make_client, make_transport, signing_key_of
from server.publishing.worker import DeliveryWorker
from server.settings import Settings
from server.storage.db import Database
from server.storage.notify import listening
from server.storage.version import DataVersion
from server.urls import Urls

__all__ = ["Federation"]

log = logging.getLogger("communs.runtime")


class Federation:
    """Built once per process by ``start``; closed by ``close``."""

    def __init__(
        self,
        settings: Settings,
        db: Database,
        urls: Urls,
        *,
        clock: Clock,
        client: httpx.AsyncClient,
        transport: httpx.AsyncBaseTransport,
        fetcher: Fetcher,
    ) -> None:
        self.settings = settings
        self.db = db
        self.urls = urls
        self.clock = clock
        self.client = client
        self.transport = transport  # under the client; deliveries POST to it directly
        self.fetcher = fetcher
        self.store = SqlStore(db)
        self.documents = DocumentCache()
        self.data_version = DataVersion(db)
        self.resolver = KeyResolver(self.store, fetcher)
        self.multikeys = MultikeyResolver(self.store, fetcher)
        self.delivery = DeliveryWorker(
            db,
            transport,
            concurrency=settings.delivery_concurrency,
            host_concurrency=settings.delivery_host_concurrency,
            lease=timedelta(seconds=settings.delivery_lease_seconds),
            clock=clock,
        )
        self.inbox = InboxWorker(db, urls, on_published=self.wake_delivery, clock=clock)
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    @classmethod
    async def start(
        cls,
        settings: Settings,
        db: Database,
        urls: Urls,
        *,
        clock: Clock | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> Federation:
        """Return the machinery, with the instance actor's key loaded once."""
        async with db.session() as session:
            instance = await ensure_instance_actor(session, urls, settings.domain)
        guarded = make_transport(
            allow_private_networks=settings.allow_private_networks, transport=transport
        )
        client = make_client(guarded)
        fetcher = Fetcher(client, signing_key=signing_key_of(instance))
        return cls(
            settings,
            db,
            urls,
            clock=clock or Clock(),
            client=client,
            transport=guarded,
            fetcher=fetcher,
        )

    def run_workers(self) -> None:
        """Start the delivery and inbox workers as background tasks."""
        self._tasks = [
            asyncio.create_task(self.delivery.run(self._stop)),
            asyncio.create_task(self.inbox.run(self._stop)),
            asyncio.create_task(
                run_housekeeping(
                    self.db,
                    self.urls,
                    self.clock,
                    self._stop,
                    on_published=self.wake_delivery,
                    chores=[partial(retire_orphans, self.db, MediaFiles(self.settings.media_dir))],
                )
            ),
            asyncio.create_task(self._listen()),
        ]

    async def _listen(self) -> None:
        """Wake the delivery worker when another process enqueues deliveries (PostgreSQL)."""
        try:
            async with listening(self.db, self.wake_delivery):
                await self._stop.wait()
        except Exception as exc:  # workers still poll; a lost listener only adds latency
            log.warning("not listening for new deliveries: %s", exc)

    def wake_delivery(self) -> None:
        """Something was published: deliver it now, and serve fresh Notes from now on."""
        self.documents.forget_notes()
        self.delivery.wake.set()

    def wake_inbox(self) -> None:
        self.inbox.wake.set()

    async def close(self) -> None:
        """Stop the workers (in-flight sends finish) and close the client."""
        self._stop.set()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self.store.close()
        await self.data_version.close()
        await self.client.aclose()
