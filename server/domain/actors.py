"""Local actors: creation with a key pair, the instance actor, updates and lookups."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

from sqlalchemy import delete, func, or_, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import select

from federation.keys import generate_ed25519_key, generate_rsa_pem_pair
from schemas.actors import as2_type_of_kind
from schemas.api import ActorCreate, ActorPublic, ActorUpdate
from schemas.context import AS2_PUBLIC
from schemas.regions import region_name
from schemas.states import ActorKind, FollowState
from server.clock import utcnow
from server.domain.lifecycle import publish_note
from server.domain.render import actor_to_ap
from server.domain.text import render_markdown
from server.errors import Conflict, Gone, Invalid, NotFound, refuse_nulls
from server.i18n import N_
from server.publishing.outbox import new_activity, publish
from server.storage.models import Actor, ApiToken, Declaration, Follow, FundingCall, Project
from server.urls import Urls

__all__ = [
    "actor_public",
    "close_account",
    "create_local_actor",
    "delete_local_actor",
    "ensure_instance_actor",
    "follow_counts",
    "get_local_actor",
    "instance_username",
    "region_label",
    "update_actor",
]


def instance_username(urls: Urls) -> str:
    """Return the instance actor's preferredUsername: the host name (Mastodon's convention)."""
    return urlsplit(urls.base).hostname or "instance"


async def ensure_instance_actor(session: AsyncSession, urls: Urls, domain: str) -> Actor:
    """Return the instance actor (type Application), creating it with its key on first use."""
    found = (
        (await session.execute(select(Actor).where(Actor.uri == urls.instance_actor)))
        .scalars()
        .first()
    )
    if found is not None:
        return found
    keys = await _new_keys(session, urls, urls.instance_actor)
    actor = Actor(
        uri=urls.instance_actor,
        username=instance_username(urls),
        domain=domain,
        is_local=True,
        type="Application",
        name=domain,
        summary_source="The instance actor: it signs this server's requests.",
        url=urls.url("/"),
        inbox_uri=urls.shared_inbox,
        shared_inbox_uri=urls.shared_inbox,
        outbox_uri=urls.url("/actor/outbox"),
        discoverable=False,
        **keys,
    )
    actor.summary_html = render_markdown(actor.summary_source or "")
    session.add(actor)
    try:
        await session.commit()
    except IntegrityError:  # another process created it first
        await session.rollback()
        return (
            (await session.execute(select(Actor).where(Actor.uri == urls.instance_actor)))
            .scalars()
            .one()
        )
    return actor


#: The thread that makes key pairs (started on first use, shared by every event loop).
_KEY_MAKER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="communs-keys")


def _generate_keys() -> tuple[str, str, str, str]:
    return (*generate_rsa_pem_pair(), *generate_ed25519_key())


async def _new_keys(session: AsyncSession, urls: Urls, uri: str) -> dict[str, str]:
    """Return the key columns of a new local actor: RSA-2048 for HTTP signatures (as PEM),
    Ed25519 for Object Integrity Proofs (PEM and ``publicKeyMultibase``).

    RSA takes ~50 ms of CPU. The keys are made in a thread of their own, so that the event loop
    answers other requests meanwhile, one actor at a time, so that a burst of sign-ups leaves
    the other core to the requests. ``session``'s transaction ends first, so that no connection
    is held meanwhile (SQLite has one; the caller commits the actor at the end anyway).
    """
    await session.commit()
    made = asyncio.get_running_loop().run_in_executor(_KEY_MAKER, _generate_keys)
    private_pem, public_pem, assertion_private_pem, assertion_public = await made
    return {
        "key_id": urls.key_id(uri),
        "public_key_pem": public_pem,
        "private_key_pem": private_pem,
        "assertion_key_id": urls.assertion_key_id(uri),
        "assertion_public_key": assertion_public,
        "assertion_private_key_pem": assertion_private_pem,
    }


async def create_local_actor(
    session: AsyncSession, urls: Urls, domain: str, data: ActorCreate
) -> Actor:
    """Create a local actor with new RSA-2048 and Ed25519 key pairs.

    Raises ``Invalid`` for a reserved username and ``Conflict`` when the username is taken.
    """
    if data.username == instance_username(urls):
        raise Invalid(
            N_("username {username!r} is reserved for the instance actor"), username=data.username
        )
    uri = urls.actor(data.username)
    keys = await _new_keys(session, urls, uri)
    actor = Actor(
        uri=uri,
        username=data.username,
        domain=domain,
        is_local=True,
        type=as2_type_of_kind(data.kind),
        url=urls.profile(data.username),
        inbox_uri=urls.actor_collection(data.username, "inbox"),
        shared_inbox_uri=urls.shared_inbox,
        outbox_uri=urls.actor_collection(data.username, "outbox"),
        followers_uri=urls.actor_collection(data.username, "followers"),
        following_uri=urls.actor_collection(data.username, "following"),
        featured_uri=urls.actor_collection(data.username, "featured"),
        **keys,
    )
    _apply(actor, data.model_dump(exclude={"username"}))
    session.add(actor)
    try:
        await session.commit()
    except IntegrityError:
        await session.rollback()
        raise Conflict(
            N_("username {username!r} is already taken"), username=data.username
        ) from None
    return actor


#: Fields an update may change but not empty (the others may be set to null).
_REQUIRED = ("name", "kind", "summary", "manually_approves_followers", "language")


def _apply(actor: Actor, fields: dict[str, object]) -> None:
    refuse_nulls(fields, _REQUIRED)
    for name, value in fields.items():
        if name == "summary":
            actor.summary_source = str(value)
            actor.summary_html = render_markdown(str(value))
        elif name == "kind":
            actor.kind = str(value)
            actor.type = as2_type_of_kind(str(value))
        elif name == "website":
            actor.website = str(value) if value is not None else None
        else:
            setattr(actor, name, value)
    _check_identity(actor)


def _check_identity(actor: Actor) -> None:
    """Raise ``Invalid`` when the legal identity contradicts itself: a SIRET names its SIREN
    (its first nine digits), and only public bodies have a public category."""
    if actor.siret and not actor.siren:
        actor.siren = actor.siret[:9]
    if actor.siret and actor.siren and actor.siret[:9] != actor.siren:
        raise Invalid(
            N_("{siret} is not an establishment of SIREN {siren}"),
            field="siret",
            siret=actor.siret,
            siren=actor.siren,
        )
    if actor.public_category and actor.kind != ActorKind.public_body:
        raise Invalid(N_("only an actor of kind public_body has one"), field="public_category")


async def update_actor(session: AsyncSession, urls: Urls, actor: Actor, data: ActorUpdate) -> Actor:
    """Apply the fields set in ``data`` to a local actor, and send its followers an ``Update``
    of its document: Mastodon shows a remote profile as it last received it."""
    _apply(actor, data.model_dump(exclude_unset=True))
    actor.updated_at = utcnow()
    session.add(actor)
    await publish_note(session, urls, actor, "Update", actor_to_ap(actor, urls))
    await session.commit()
    return actor


async def get_local_actor(session: AsyncSession, username: str) -> Actor:
    """Return the local actor ``username`` (the instance actor excluded).

    Raises ``NotFound``.
    """
    actor = (
        (
            await session.execute(
                select(Actor).where(
                    Actor.username == username,
                    Actor.is_local == True,
                    Actor.type != "Application",
                )
            )
        )
        .scalars()
        .first()
    )
    if actor is None:
        raise NotFound(N_("no local actor named {username!r}"), username=username)
    if actor.deleted_at is not None:
        raise Gone(N_("the actor {username!r} was deleted"), username=username)
    return actor


async def close_account(session: AsyncSession, actor: Actor) -> None:
    """What ends any account, local or remote: its follows both ways go, its projects,
    funding calls and declarations become tombstones, and it is marked deleted. The caller
    commits."""
    now = utcnow()
    await session.execute(
        delete(Follow).where(or_(Follow.follower_id == actor.id, Follow.followed_id == actor.id))
    )
    await session.execute(
        update(Project)
        .where(Project.actor_id == actor.id, Project.deleted_at == None)
        .values(deleted_at=now, is_pinned=False)
    )
    for table in (FundingCall, Declaration):
        await session.execute(
            update(table)
            .where(table.actor_id == actor.id, table.deleted_at == None)
            .values(deleted_at=now)
        )
    actor.deleted_at = actor.updated_at = now


async def delete_local_actor(session: AsyncSession, urls: Urls, actor: Actor) -> None:
    """Delete a local actor for good, as Mastodon deletes an account.

    Its followers' servers and those of the actors it follows get ``Delete{the actor}`` (its
    key stays to sign it); its tokens are revoked and its profile erased; the username stays
    taken and its URLs answer 410, since ids are never reused.
    """
    followed_inboxes = (
        await session.execute(
            select(func.coalesce(Actor.shared_inbox_uri, Actor.inbox_uri))
            .join(Follow, Follow.followed_id == Actor.id)
            .where(Follow.follower_id == actor.id, Actor.is_local == False)
        )
    ).scalars()
    document = new_activity(urls, "Delete", actor, actor.uri, to=[AS2_PUBLIC])
    inboxes = [inbox for inbox in followed_inboxes if inbox]
    await publish(session, actor, document, to_followers=True, inboxes=inboxes)
    await close_account(session, actor)
    await session.execute(
        update(ApiToken)
        .where(ApiToken.actor_id == actor.id, ApiToken.revoked_at == None)
        .values(revoked_at=actor.deleted_at)
    )
    actor.summary_source = actor.summary_html = ""
    actor.legal_form = actor.siren = actor.siret = actor.region = actor.website = None
    actor.public_category = actor.email = None
    actor.icon = actor.image = None  # their files go with the next chores (server.media)
    await session.commit()


async def follow_counts(session: AsyncSession, actor_id: int) -> tuple[int, int]:
    """Return (followers, following) counts of accepted follows."""
    accepted = Follow.state == FollowState.accepted
    followers = await session.scalar(
        select(func.count()).select_from(Follow).where(Follow.followed_id == actor_id, accepted)
    )
    following = await session.scalar(
        select(func.count()).select_from(Follow).where(Follow.follower_id == actor_id, accepted)
    )
    return int(followers or 0), int(following or 0)


def region_label(region: str | None, *, language: str = "en") -> str | None:
    """Return the name of an actor's region (free text written before codes, as it is)."""
    if not region:
        return None
    return region_name(region, language=language)


async def actor_public(session: AsyncSession, actor: Actor) -> ActorPublic:
    """Return the JSON API view of an actor (never its keys)."""
    assert actor.id is not None
    followers, following = await follow_counts(session, actor.id)
    return ActorPublic(
        username=actor.username,
        handle=f"{actor.username}@{actor.domain}",
        uri=actor.uri,
        url=actor.url or actor.uri,
        name=actor.name,
        kind=actor.kind,
        type=actor.type,
        summary=actor.summary_source or "",
        summary_html=actor.summary_html or "",
        legal_form=actor.legal_form,
        siren=actor.siren,
        siret=actor.siret,
        public_category=actor.public_category,
        region=actor.region,
        region_name=region_label(actor.region, language=actor.language),
        email=actor.email,
        website=actor.website,
        manually_approves_followers=actor.manually_approves_followers,
        language=actor.language,
        is_local=actor.is_local,
        created_at=actor.created_at,
        followers_count=followers,
        following_count=following,
        avatar=actor.icon["url"] if actor.icon else None,
        header=actor.image["url"] if actor.image else None,
    )
