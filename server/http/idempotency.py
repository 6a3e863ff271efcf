"""``Idempotency-Key`` on POSTs: a retried request returns the first response, creates nothing.

The record is written in the same transaction as what the request creates, so either both
commit or neither does. Two concurrent requests with one key race on the unique
``(token_hash, key)``: the loser's transaction rolls back whole and it replays the winner's
answer. Only successful responses are recorded (a refused request created nothing and may be
retried as it is); keys live for ``IDEMPOTENCY_KEY_LIFETIME``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Header, Request
from fastapi.responses import Response
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from server.clock import utcnow
from server.domain.tokens import Principal
from server.errors import Invalid
from server.http.deps import AppState, SessionDep, StateDep, Writer
from server.storage.models import IDEMPOTENCY_KEY_LIFETIME, IdempotencyRecord

__all__ = [
    "IdempotencyKeyHeader",
    "IdempotentPost",
    "IdempotentRequest",
    "PublishingPost",
    "answer_once",
    "idempotent",
]

IdempotencyKeyHeader = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=200,
        pattern=r'^"?[\x21\x23-\x7e]+"?$',
        description="A client-chosen unique key: a retry with the same key and token returns "
        "the first response and creates nothing new",
    ),
]


@dataclass(frozen=True)
class IdempotentRequest:
    """One POST as the idempotency table sees it."""

    key: str | None
    token_hash: str
    path: str
    request_hash: str

    async def replay(self, session: AsyncSession) -> Response | None:
        """Return the recorded first response to this key, or ``None`` when there is none.

        Raises ``Invalid`` (422) when the key was used for a different request.
        """
        if self.key is None:
            return None
        record = (
            await session.execute(
                select(IdempotencyRecord).where(
                    IdempotencyRecord.token_hash == self.token_hash,
                    IdempotencyRecord.key == self.key,
                )
            )
        ).scalar_one_or_none()
        if record is None:
            return None
        if record.created_at < utcnow() - IDEMPOTENCY_KEY_LIFETIME:
            await session.delete(record)
            await session.flush()
            return None
        if (record.request_path, record.request_hash) != (self.path, self.request_hash):
            raise Invalid(
                f"Idempotency-Key {self.key!r} was already used for a different request; "
                "use a new key for a new request"
            )
        return Response(
            record.body,
            status_code=record.status_code,
            media_type="application/json",
            headers={"Idempotent-Replayed": "true"},
        )

    async def commit(self, session: AsyncSession, status_code: int, body: bytes) -> Response:
        """Record the response with the caller's changes, commit, and return the response.

        When a concurrent request with the same key committed first, everything is rolled
        back and that request's response is returned instead.
        """
        if self.key is not None:
            session.add(
                IdempotencyRecord(
                    token_hash=self.token_hash,
                    key=self.key,
                    request_path=self.path,
                    request_hash=self.request_hash,
                    status_code=status_code,
                    body=body,
                )
            )
        try:
            await session.commit()
        except IntegrityError:
            await session.rollback()
            replayed = await self.replay(session)
            if replayed is None:
                raise
            return replayed
        return Response(body, status_code=status_code, media_type="application/json")


def idempotent(
    request: Request, caller: Principal, key: str | None, body: BaseModel
) -> IdempotentRequest:
    """Return the idempotency view of a POST: its key, caller, path and body fingerprint."""
    digest = hashlib.sha256(body.model_dump_json().encode()).hexdigest()
    return IdempotentRequest(
        key=key.strip('"') if key else None,
        token_hash=caller.token_hash,
        path=request.url.path[:500],
        request_hash=digest,
    )


async def answer_once(
    request: Request,
    session: AsyncSession,
    caller: Principal,
    key: str | None,
    body: BaseModel,
    *,
    status_code: int,
    create: Callable[[], Awaitable[BaseModel]],
) -> Response:
    """Return the first answer to this ``Idempotency-Key``, or run ``create`` and record it."""
    request_key = idempotent(request, caller, key, body)
    if (replayed := await request_key.replay(session)) is not None:
        return replayed
    public = await create()
    return await request_key.commit(session, status_code, public.model_dump_json().encode())


@dataclass(frozen=True)
class IdempotentPost:
    """A write POST that publishes: answered once per ``Idempotency-Key``, then delivered.

    What the routes that create projects, calls and pledges share: the caller (a ``write``
    token), the session, the app state, and the key.
    """

    request: Request
    caller: Principal
    session: AsyncSession
    state: AppState
    key: str | None

    async def answer(
        self,
        body: BaseModel,
        *,
        status_code: int,
        create: Callable[[], Awaitable[BaseModel]],
    ) -> Response:
        """Return the first answer to the key (or run ``create``), then wake delivery."""
        response = await answer_once(
            self.request,
            self.session,
            self.caller,
            self.key,
            body,
            status_code=status_code,
            create=create,
        )
        self.state.federation.wake_delivery()
        return response


async def _publishing_post(
    request: Request,
    caller: Writer,
    session: SessionDep,
    state: StateDep,
    idempotency_key: IdempotencyKeyHeader = None,
) -> IdempotentPost:
    return IdempotentPost(request, caller, session, state, idempotency_key)


#: The dependency of a publishing POST route.
PublishingPost = Annotated[IdempotentPost, Depends(_publishing_post)]
