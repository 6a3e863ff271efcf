"""Who uses a project and who serves it: the queries behind the project's page, the
directory's filters and the buyers' exports.

Only declarations that count are read: not deleted, not hidden by the project's owner, about a
live project, by an actor listed in the directory (not suspended, deleted or moderated). A
provider serving ``FR`` serves every French region (``schemas.regions.covering``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from schemas.declarations import ProviderPublic
from schemas.regions import covering, region_name
from schemas.states import ActorKind, DeclarationKind, ServiceKind
from server.domain.moderation import listed_in_directory
from server.storage.models import Actor, Declaration, DeclarationArea, Project

__all__ = [
    "EXPORT_LIMIT",
    "UsageSummary",
    "areas_of",
    "counted",
    "declarers",
    "list_providers",
    "service_bit",
    "services_mask",
    "services_of",
    "set_areas",
    "usage_summary",
    "users_of",
]

#: The most providers one export lists.
EXPORT_LIMIT = 5000

_SERVICES = list(ServiceKind)


def service_bit(kind: str) -> int:
    """Return the bit of one service in ``Declaration.services``."""
    return 1 << _SERVICES.index(ServiceKind(kind))


def services_mask(kinds: list[ServiceKind] | list[str]) -> int:
    """Return the bits of a list of services."""
    mask = 0
    for kind in kinds:
        mask |= service_bit(kind)
    return mask


def services_of(mask: int) -> list[str]:
    """Return the services of a bit mask, in ``ServiceKind`` order."""
    return [str(kind) for position, kind in enumerate(_SERVICES) if mask & (1 << position)]


async def areas_of(session: AsyncSession, declaration_id: str) -> list[str]:
    """Return the regions a declaration covers, in the order they were given."""
    rows = await session.execute(
        select(DeclarationArea.code)
        .where(DeclarationArea.declaration_id == declaration_id)
        .order_by(col(DeclarationArea.position))
    )
    return list(rows.scalars())


async def set_areas(session: AsyncSession, declaration_id: str, codes: list[str]) -> None:
    """Replace the regions of a declaration in the table that filters query."""
    await session.execute(
        delete(DeclarationArea).where(DeclarationArea.declaration_id == declaration_id)
    )
    for position, code in enumerate(codes):
        session.add(DeclarationArea(declaration_id=declaration_id, code=code, position=position))


def counted(
    kind: DeclarationKind,
    *,
    project_id: str | None = None,
    area: str | None = None,
    service: str | None = None,
) -> ColumnElement[bool]:
    """Return the condition on ``Declaration`` (joined with its ``Actor``) "counts here"."""
    live_projects = select(Project.id).where(Project.deleted_at == None)
    condition = (
        (col(Declaration.kind) == kind)
        & col(Declaration.deleted_at).is_(None)
        & col(Declaration.hidden_at).is_(None)
        & col(Declaration.project_id).in_(live_projects)
        & listed_in_directory()
    )
    if project_id is not None:
        condition &= Declaration.project_id == project_id
    if area is not None:
        within = select(DeclarationArea.declaration_id).where(
            col(DeclarationArea.code).in_(covering(area))
        )
        condition &= col(Declaration.id).in_(within)
    if service is not None:
        condition &= col(Declaration.services).op("&")(service_bit(service)) != 0
    return condition


def declarers(
    kind: DeclarationKind,
    *,
    project_id: str | None = None,
    area: str | None = None,
    service: str | None = None,
) -> Select[Any]:
    """Return the ids of the actors whose declarations of ``kind`` count (for ``IN``)."""
    query: Select[Any] = (
        select(Declaration.actor_id)
        .join(Actor, Actor.id == Declaration.actor_id)
        .where(counted(kind, project_id=project_id, area=area, service=service))
    )
    return query


@dataclass(frozen=True)
class UsageSummary:
    """ "Used by 12 organisations, 7 of them public bodies · 4 service providers in …"."""

    users: int
    public_bodies: int
    providers: int
    #: Providers serving ``region`` (France's included for a French region), when one is given.
    providers_in_region: int | None
    region: str | None
    region_name: str | None


async def users_of(
    session: AsyncSession, project_id: str, *, limit: int = 100
) -> list[tuple[Actor, Declaration]]:
    """Return the actors that use a project, newest declaration first."""
    query = (
        select(Actor, Declaration)
        .join(Declaration, Declaration.actor_id == Actor.id)
        .where(counted(DeclarationKind.uses, project_id=project_id))
        .order_by(col(Declaration.id).desc())
        .limit(limit)
    )
    return [(actor, declaration) for actor, declaration in (await session.execute(query)).all()]


async def usage_summary(
    session: AsyncSession, project_id: str, *, region: str | None = None
) -> UsageSummary:
    """Return how many actors use a project (public bodies among them) and serve it."""

    async def count(kind: DeclarationKind, *extra: Any, area: str | None = None) -> int:
        query = (
            select(func.count(func.distinct(Declaration.actor_id)))
            .join(Actor, Actor.id == Declaration.actor_id)
            .where(counted(kind, project_id=project_id, area=area), *extra)
        )
        return int(await session.scalar(query) or 0)

    return UsageSummary(
        users=await count(DeclarationKind.uses),
        public_bodies=await count(DeclarationKind.uses, Actor.kind == ActorKind.public_body),
        providers=await count(DeclarationKind.serves),
        providers_in_region=await count(DeclarationKind.serves, area=region) if region else None,
        region=region,
        region_name=region_name(region) if region else None,
    )


async def list_providers(
    session: AsyncSession,
    *,
    project_id: str | None = None,
    area: str | None = None,
    service: str | None = None,
    limit: int = EXPORT_LIMIT,
) -> list[ProviderPublic]:
    """Return the service declarations that count, newest first, with their provider's
    identity (what buyers download)."""
    query = (
        select(Declaration, Actor, Project)
        .join(Actor, Actor.id == Declaration.actor_id)
        .join(Project, Project.id == Declaration.project_id)
        .where(counted(DeclarationKind.serves, project_id=project_id, area=area, service=service))
        .order_by(col(Declaration.id).desc())
        .limit(limit)
    )
    rows = (await session.execute(query)).all()
    providers = []
    for declaration, actor, project in rows:
        areas = await areas_of(session, declaration.id)
        providers.append(
            ProviderPublic(
                name=actor.name or actor.username,
                handle=f"{actor.username}@{actor.domain}",
                actor=actor.uri,
                url=actor.url or actor.uri,
                kind=actor.kind,
                legal_form=actor.legal_form,
                siren=actor.siren,
                siret=actor.siret,
                region=actor.region,
                email=actor.email,
                website=actor.website,
                project_name=project.name,
                project_uri=project.uri,
                services=services_of(declaration.services),
                regions=areas,
                region_names=[region_name(code) for code in areas],
                text=declaration.text,
                declaration=declaration.uri,
                declared_at=declaration.published_at,
            )
        )
    return providers
