"""funding.json manifests (FLOSS/fund v1): each project publishes one, and one can be imported.

A manifest is made from the project's owner (the ``entity``), the project and its open
funding calls (the ``plans``), and validates against the vendored JSON Schema. Importing one
creates the project, with its active plans as draft calls, so that importing the manifest we
publish gives back the same project. The mapping (FEDERATION.md has the table):

- ``description`` is the summary, a blank line, then the description (cut at 2 000
  characters); back, a first line of at most 500 characters followed by a blank line is the
  summary (a single line alone too);
- ``webpageUrl`` and ``repositoryUrl`` fall back to the project's page, which means "none";
- ``licenses`` are the ``spdx:`` terms of the licence (alternatives, ``OR``, one each);
- tags keep ``[a-z0-9-]``, ``_`` written ``-``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from federation.errors import FederationError
from federation.fetch import Fetcher
from federation.storable import storable
from schemas.commons import FundingCallCreate, Money, ProjectCreate
from schemas.funding_manifest import FUNDING_JSON_SCHEMA_URL, FUNDING_JSON_VERSION, manifest_errors
from schemas.money import to_decimal_string
from schemas.states import FundingStatus
from server.domain.figures import effective_status
from server.domain.funding import create_funding_call, funding_calls_of
from server.domain.licenses import normalize_license
from server.domain.projects import create_project
from server.errors import Invalid
from server.storage.models import Actor, FundingCall, Project
from server.urls import Urls

__all__ = [
    "DRAFT_DEADLINE",
    "Imported",
    "fetch_manifest",
    "import_manifest",
    "manifest_of",
    "manifest_urls",
]

#: How far ahead an imported plan's deadline is set, until its owner sets the real one.
DRAFT_DEADLINE = timedelta(days=365)
_URL_MAX = 250
_DESCRIPTION_MAX = 2000
_TAG = re.compile(r"^[a-z0-9-]{1,32}$")
_OUR_TAG = re.compile(r"^\w*[^\W\d_]\w*$")
_CHANNEL = "communs"
_ENTITY_TYPES = {"person": "individual", "collective": "group"}


def _page_or(url: str | None, page: str) -> str:
    return url if url and len(url) <= _URL_MAX else page


def _description(project: Project) -> str:
    text = "\n\n".join(part for part in (project.summary, project.description) if part)
    return text[:_DESCRIPTION_MAX]


def _licenses(expression: str | None) -> list[str]:
    if not expression:
        return []
    parts = expression.split(" OR ")
    if "(" in expression or any(" AND " in p or " WITH " in p for p in parts):
        parts = [expression]
    return [f"spdx:{part}" for part in parts]


def _tags(tags: list[str]) -> list[str]:
    """Our tags as funding.json takes them: ``[a-z0-9-]``, at most ten."""
    return [t for t in (tag.replace("_", "-") for tag in tags) if _TAG.match(t)][:10]


def _number(minor: int, currency: str) -> int | float:
    """A JSON number of the amount (the schema's); its decimal form prints back exactly."""
    value = Decimal(to_decimal_string(minor, currency))
    return int(value) if value == value.to_integral_value() else float(value)


async def manifest_of(
    session: AsyncSession, urls: Urls, project: Project, *, today: date
) -> dict[str, Any]:
    """Return the funding.json of a local project, with its open calls as plans."""
    owner = await session.get(Actor, project.actor_id)
    assert owner is not None
    page = project.url or project.uri
    calls = [
        call
        for call in await funding_calls_of(session, project_id=project.id, limit=30)
        if effective_status(call, today) == FundingStatus.open
    ]
    return {
        "$schema": FUNDING_JSON_SCHEMA_URL,
        "version": FUNDING_JSON_VERSION,
        "entity": {
            "type": _ENTITY_TYPES.get(owner.kind or "", "organisation"),
            "role": "owner",
            "name": (owner.name or owner.username)[:250],
            "email": owner.email or "",
            "description": (owner.summary_source or "")[:_DESCRIPTION_MAX],
            "webpageUrl": {"url": owner.url or owner.uri},
        },
        "projects": [
            {
                "guid": project.id.lower()[:32],
                "name": project.name,
                "description": _description(project),
                "webpageUrl": {"url": _page_or(project.website_url, page)},
                "repositoryUrl": {"url": _page_or(project.repository_url, page)},
                "licenses": _licenses(project.license),
                "tags": [
                    t for t in (tag.replace("_", "-") for tag in project.tags) if _TAG.match(t)
                ][:10],
            }
        ],
        "funding": {
            "channels": [
                {
                    "guid": _CHANNEL,
                    "type": "other",
                    "address": page[:_URL_MAX],
                    "description": "Pledge to one of the project's funding calls on its page.",
                }
            ],
            "plans": [
                {
                    "guid": call.id.lower()[:32],
                    "status": "active",
                    "name": call.title,
                    "description": call.summary,
                    "amount": _number(call.goal_minor, call.currency),
                    "currency": call.currency,
                    "frequency": "one-time",
                    "channels": [_CHANNEL],
                }
                for call in calls
            ],
        },
    }


async def manifest_urls(session: AsyncSession, urls: Urls, *, limit: int = 10_000) -> list[str]:
    """Return the funding.json URLs of the live local projects, newest first."""
    rows = await session.execute(
        select(Project.id)
        .where(Project.is_local == True, Project.deleted_at == None)
        .order_by(col(Project.id).desc())
        .limit(limit)
    )
    return [urls.funding_manifest(project_id) for project_id in rows.scalars()]


async def fetch_manifest(fetcher: Fetcher, url: str) -> dict[str, Any]:
    """Return the funding.json at ``url``, fetched through the SSRF guard and checked against
    the schema; amounts are ``Decimal``s, never floats.

    Raises ``Invalid`` when it cannot be fetched, parsed or validated.
    """
    try:
        body = await fetcher.get_bytes(url, accept="application/json")
    except FederationError as exc:
        raise Invalid(f"url: cannot fetch the manifest: {exc}") from None
    try:
        document = json.loads(body, parse_float=Decimal)
    except (ValueError, RecursionError):
        raise Invalid("url: the manifest is not valid JSON") from None
    if not storable(document):
        raise Invalid("url: the manifest holds a NUL character or an unpaired surrogate")
    errors = manifest_errors(document)
    if errors:
        raise Invalid(f"url: not a valid funding.json: {'; '.join(errors)}")
    if not str(document["version"]).startswith("v1."):
        raise Invalid(f"url: funding.json version {document['version']!r} is not 1.x")
    return dict(document)


@dataclass
class Imported:
    """What an import made: the project, its draft calls, and the plans left out (why)."""

    project: Project
    calls: list[FundingCall] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)


def _split_description(text: str) -> tuple[str, str]:
    head, blank, rest = text.strip().partition("\n\n")
    if len(head) <= 500 and "\n" not in head and (blank or not rest):
        return head, rest.strip()
    return "", text.strip()


def _none_if_page(url: str, page: str) -> str | None:
    return None if url.rstrip("/") == page.rstrip("/") else url


def _license_of(licenses: list[str]) -> str | None:
    terms = [item.removeprefix("spdx:") for item in licenses]
    if not terms:
        return None
    try:
        expression = " OR ".join(f"({t})" if " " in t else t for t in terms)
        return normalize_license(expression, strict=False)  # read leniently, as remote objects
    except Invalid:
        return None


def _project_data(entry: dict[str, Any], manifest_url: str) -> ProjectCreate:
    page = manifest_url.removesuffix("/funding.json")
    summary, description = _split_description(entry["description"])
    tags = [t.replace("-", "_") for t in entry["tags"]]
    try:
        return ProjectCreate.model_validate(
            {
                "name": entry["name"],
                "summary": summary,
                "description": description,
                "license": _license_of(entry["licenses"]),
                "website_url": _none_if_page(entry["webpageUrl"]["url"], page),
                "repository_url": _none_if_page(entry["repositoryUrl"]["url"], page),
                "tags": [t for t in tags if _OUR_TAG.match(t) and len(t) <= 50],
            }
        )
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
        )
        raise Invalid(f"url: the manifest's project cannot be imported: {problems}") from None


def _plan_data(plan: dict[str, Any], project_id: str, today: date) -> FundingCallCreate | str:
    """Return the draft call of a plan, or why it is left out."""
    if plan["status"] != "active":
        return "inactive"
    try:
        amount = Decimal(str(plan["amount"]))
    except InvalidOperation:
        return "its amount is not a number"
    if amount <= 0:
        return "any amount (0): a call needs a goal"
    description = str(plan.get("description") or "")
    try:
        return FundingCallCreate.model_validate(
            {
                "title": plan["name"][:200],
                "summary": description[:500],
                "description": description if len(description) > 500 else "",
                "project_id": project_id,
                "goal": Money(amount=format(amount, "f"), currency=plan["currency"]),
                "deadline": today + DRAFT_DEADLINE,
            }
        )
    except ValidationError as exc:
        return "; ".join(e["msg"] for e in exc.errors())


async def import_manifest(
    session: AsyncSession,
    urls: Urls,
    actor: Actor,
    document: dict[str, Any],
    *,
    manifest_url: str,
    guid: str | None,
    today: date,
) -> Imported:
    """Create the manifest's project (the one ``guid`` names when it lists several) with its
    active plans as draft calls; the caller commits.

    Raises ``Invalid`` when no project can be chosen or made.
    """
    projects = document.get("projects") or []
    if guid is not None:
        projects = [p for p in projects if p["guid"] == guid]
    if len(projects) != 1:
        found = "no project" if not projects else f"{len(projects)} projects"
        raise Invalid(f"url: the manifest lists {found}; name the one to import with guid")
    project = await create_project(session, urls, actor, _project_data(projects[0], manifest_url))
    imported = Imported(project=project)
    for plan in document["funding"]["plans"]:
        data = _plan_data(plan, project.id, today)
        if isinstance(data, str):
            imported.skipped[plan["guid"]] = data
            continue
        try:
            call = await create_funding_call(session, urls, actor, data, today=today, draft=True)
        except Invalid as exc:  # an unknown currency, too many decimals
            imported.skipped[plan["guid"]] = exc.detail
            continue
        imported.calls.append(call)
    return imported
