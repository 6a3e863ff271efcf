"""Projects and funding calls of other Communs instances, rebuilt from the Notes they push.

A Note is taken for one of ours only when it carries ``objectType`` Project or FundingCall;
anything else from other software stays a plain Note. What is kept is checked first: the
signer is the author, the object lives on the signer's host, one of our actors follows the
author, ``updated`` moves forward, money is a decimal *string* in a known currency, and the
HTML is sanitised. A payload that fails any check is refused whole, never stored as given.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, Literal

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from federation.actors import http_uri_host, picture, pictures
from federation.sanitize import sanitize_html
from schemas.base import as_list, get_id
from schemas.commons import is_hashtag
from schemas.money import MAX_MINOR, MAX_TOTAL_MINOR, MoneyError, check_currency, parse_amount
from schemas.states import CallEventKind, FollowState, FundingStatus, ProjectStatus, Sector
from server.clock import utcnow
from server.domain.history import Change, record_change
from server.domain.licenses import normalize_license
from server.domain.lifecycle import set_tags
from server.errors import Invalid
from server.storage.db import affected
from server.storage.models import Actor, Declaration, Follow, FundingCall, Project
from server.urls import new_id

__all__ = [
    "COMMUNS_TYPES",
    "RemoteObjectError",
    "communs_type",
    "followed_author",
    "handle_remote_delete",
    "is_communs_note",
    "moment_of",
    "store_remote_object",
]

COMMUNS_TYPES = frozenset({"Project", "FundingCall"})
_COMMUNS_NAMES = ("Project", "FundingCall")  # compared, never hashed: a type may be any JSON
_TEXT_LIMIT = 20_000
#: A licence expression longer than this is not parsed (its normal form must fit 200).
_LICENSE_INPUT_MAX = 1_000
#: The longest hashtag kept (its column).
_TAG_MAX = 100


class RemoteObjectError(ValueError):
    """A remote Communs object that cannot be trusted or understood."""


def _text(note: dict[str, Any], key: str, limit: int, *, required: bool = False) -> str:
    value = note.get(key)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or not value.strip() or len(value) > limit:
        raise RemoteObjectError(f"{key} must be a string of at most {limit} characters")
    return value.strip()


def moment_of(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        moment.astimezone(UTC)  # stored in UTC: 9999-12-31T23:59-12:00 is past datetime.max
    except (ValueError, OverflowError):
        return None
    return moment if moment.tzinfo else None


def _amount(value: Any, *, currency: str | None = None, total: bool = False) -> tuple[int, str]:
    """Return (minor units, currency) of a MonetaryAmount whose value is a decimal string;
    a ``total`` (what was raised) may be zero."""
    if not isinstance(value, dict):
        raise RemoteObjectError("a MonetaryAmount object is expected")
    code = value.get("currency")
    if currency is not None and code != currency:
        raise RemoteObjectError("every amount of a call must be in its currency")
    try:
        code = check_currency(code)
        maximum = MAX_TOTAL_MINOR if total else MAX_MINOR
        return parse_amount(value.get("value"), code, allow_zero=total, maximum=maximum), code
    except MoneyError as exc:
        raise RemoteObjectError(str(exc)) from None


def _tags(note: dict[str, Any]) -> list[str]:
    """Return the Note's hashtags that Mastodon would take for hashtags: others are dropped,
    never stored."""
    names = [
        t["name"].removeprefix("#").lower()
        for t in as_list(note.get("tag"))
        if isinstance(t, dict)
        and "Hashtag" in as_list(t.get("type"))
        and isinstance(t.get("name"), str)
    ]
    return list(dict.fromkeys(n for n in names if len(n) <= _TAG_MAX and is_hashtag(n)))[:20]


def _license(value: Any) -> str | None:
    """Return a remote licence normalised, or ``None`` when it is not valid SPDX."""
    if not isinstance(value, str) or len(value) > _LICENSE_INPUT_MAX:
        return None
    try:
        return normalize_license(value, strict=False)
    except Invalid:
        return None


def _project_fields(note: dict[str, Any]) -> dict[str, Any]:
    status = note.get("status")
    if not isinstance(status, str) or status not in set(ProjectStatus):
        raise RemoteObjectError(f"unknown project status {status!r}")
    license_value = note.get("license")
    repository = note.get("codeRepository")
    return {
        "name": _text(note, "name", 200, required=True),
        "status": status,
        "license": _license(license_value),
        "repository_url": repository if http_uri_host(repository) else None,
    }


def _call_fields(note: dict[str, Any]) -> dict[str, Any]:
    goal, currency = _amount(note.get("goal"))
    raised, _ = _amount(note.get("raised"), currency=currency, total=True)
    by_sector: dict[str, int] = {}
    sectors = note.get("raisedBySector") or {}
    if not isinstance(sectors, dict):
        raise RemoteObjectError("raisedBySector must map sectors to amounts")
    for sector, amount in sectors.items():
        if not isinstance(sector, str) or sector not in set(Sector):
            raise RemoteObjectError(f"unknown sector {sector!r}")
        by_sector[sector] = _amount(amount, currency=currency, total=True)[0]
    status = note.get("status")
    if not isinstance(status, str) or status not in set(FundingStatus) or status == "draft":
        raise RemoteObjectError(f"unknown funding status {status!r}")
    end = moment_of(note.get("endTime"))
    if end is None:
        raise RemoteObjectError("endTime (the deadline) must be an ISO 8601 date-time")
    project = get_id(note.get("project"))
    return {
        "title": _text(note, "name", 200, required=True),
        "currency": currency,
        "goal_minor": goal,
        "raised_minor": raised,
        "raised_by_sector": by_sector,
        "status": status,
        "deadline": date(end.year, end.month, end.day),
        "project_uri": project if http_uri_host(project) else None,
    }


async def followed_author(session: AsyncSession, signer: str) -> Actor | None:
    """Return the signer if one of our actors follows it (we only keep what we asked for)."""
    follower = aliased(Actor)
    return (
        await session.execute(
            select(Actor)
            .join(Follow, Follow.followed_id == Actor.id)
            .join(follower, follower.id == Follow.follower_id)
            .where(
                Actor.uri == signer,
                Actor.is_local == False,
                follower.is_local == True,
                Follow.state == FollowState.accepted,
            )
            .limit(1)
        )
    ).scalar_one_or_none()


def communs_type(note: Any) -> str | None:
    """Return ``Project`` or ``FundingCall`` for a Note that is one (of any of its types, any of
    its object types), else None: a plain Note."""
    if not isinstance(note, dict) or "Note" not in as_list(note.get("type")):
        return None
    return next((t for t in as_list(note.get("objectType")) if t in _COMMUNS_NAMES), None)


def is_communs_note(note: Any) -> bool:
    """Whether a pushed object is a Communs project or funding call (not a plain Note)."""
    return communs_type(note) is not None


async def store_remote_object(
    session: AsyncSession, signer: str, note: dict[str, Any], *, require_follow: bool = True
) -> str:
    """Create or update the remote project or funding call a ``Create``/``Update`` carries.

    Pushed objects are kept only from followed authors; a lookup (``require_follow=False``)
    stores what a user asked for.

    Raises ``RemoteObjectError`` when the payload cannot be trusted or understood.
    """
    uri = note.get("id")
    if http_uri_host(uri) is None or http_uri_host(uri) != http_uri_host(signer):
        raise RemoteObjectError("the object must live on its author's host")
    if get_id(note.get("attributedTo")) != signer:
        raise RemoteObjectError("attributedTo must be the actor that sent it")
    author = await followed_author(session, signer)
    if author is None and not require_follow:
        author = (
            await session.execute(select(Actor).where(Actor.uri == signer, Actor.is_local == False))
        ).scalar_one_or_none()
    if author is None:
        return "ignored"
    updated = moment_of(note.get("updated")) or moment_of(note.get("published")) or utcnow()
    table: Any = Project if communs_type(note) == "Project" else FundingCall
    fields = _project_fields(note) if table is Project else _call_fields(note)
    content = note.get("content")
    if not isinstance(content, str) or len(content) > _TEXT_LIMIT:
        raise RemoteObjectError("content must be HTML of at most 20000 characters")
    url = note.get("url")
    fields |= {
        "description": "",
        "description_html": sanitize_html(content),
        "tags": _tags(note),
        "icon": picture(note.get("icon")),
        "attachment": pictures(note.get("attachment")),
        "url": url if isinstance(url, str) and http_uri_host(url) == http_uri_host(uri) else uri,
        "updated_at": updated,
    }
    # Locked: two workers applying Updates of one object at once would both pass the check on
    # ``updated``, and the older one could be stored last.
    query = select(table).where(table.uri == uri).with_for_update(key_share=True)
    row = (await session.execute(query)).scalar_one_or_none()
    kind = CallEventKind.updated_remotely
    if row is not None:
        if row.is_local or row.actor_id != author.id:
            raise RemoteObjectError("the object belongs to someone else")
        if row.deleted_at is not None or updated <= row.updated_at:
            return "ignored"
        for name, value in fields.items():
            setattr(row, name, value)
    else:
        published = moment_of(note.get("published")) or updated
        row = table(
            id=new_id(),
            uri=uri,
            actor_id=author.id,
            is_local=False,
            published_at=published,
            **fields,
        )
        session.add(row)
        kind = CallEventKind.created
    kind_of: Literal["project", "funding_call"] = "project" if table is Project else "funding_call"
    await set_tags(session, str(uri), fields["tags"], kind=kind_of)
    if table is FundingCall:
        await session.flush()
        await record_change(session, row, Change(kind, signer))
    await session.commit()
    return "stored"


async def handle_remote_delete(session: AsyncSession, signer: str, deleted: Any) -> str:
    """Tombstone a remote project, funding call or declaration its author deleted."""
    uri = get_id(deleted)
    author = await session.scalar(select(Actor.id).where(Actor.uri == signer))
    if uri is None or author is None:
        return "ignored"
    done = 0
    for table in (Project, FundingCall, Declaration):
        result = await session.execute(
            update(table)
            .where(table.uri == uri, table.actor_id == author, table.is_local == False)
            .values(deleted_at=utcnow())
        )
        done += affected(result)
    await session.commit()
    return "deleted" if done else "ignored"
