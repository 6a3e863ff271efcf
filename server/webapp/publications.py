"""Projects and funding calls: create, edit (with a preview of the Note as Mastodon shows it)
and delete.

Every write goes through ``server.domain.access`` with the member's principal, as the JSON API
does, and calls the same services; nothing is written when the form has errors.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncSession

from schemas.commons import (
    FundingCallCreate,
    FundingCallUpdate,
    ProjectCreate,
    ProjectUpdate,
)
from schemas.money import to_decimal_string
from schemas.states import ProjectStatus
from server.domain.access import acting_actor, owner_for_change
from server.domain.funding import (
    create_funding_call,
    delete_funding_call,
    get_funding_call,
    update_funding_call,
)
from server.domain.licenses import normalize_license
from server.domain.notes import funding_call_note, project_note
from server.domain.projects import (
    create_project,
    delete_project,
    get_project,
    projects_of,
    update_project,
)
from server.domain.text import render_markdown
from server.errors import Invalid
from server.http.deps import SessionDep
from server.i18n import N_
from server.storage.models import FundingCall, Project
from server.webapp.forms import (
    Errors,
    FormDep,
    WebRoute,
    field_error,
    see_other,
    typed_amount,
    validate,
)
from server.webapp.visitors import Member, MemberDep

__all__ = ["own_call", "own_project", "router"]

router = APIRouter(include_in_schema=False, route_class=WebRoute)

STATUSES = [
    (ProjectStatus.idea, N_("Idea")),
    (ProjectStatus.active, N_("Active")),
    (ProjectStatus.maintained, N_("Maintained")),
    (ProjectStatus.archived, N_("Archived")),
]


def _tags(text: str) -> list[str]:
    return [tag.strip().lstrip("#") for tag in text.replace(",", " ").split() if tag.strip()]


def _project_fields(form: dict[str, str]) -> dict[str, Any]:
    return {
        "name": form.get("name", ""),
        "summary": form.get("summary", ""),
        "description": form.get("description", ""),
        "license": form.get("license") or None,
        "repository_url": form.get("repository_url") or None,
        "website_url": form.get("website_url") or None,
        "tags": _tags(form.get("tags", "")),
        "status": form.get("status") or ProjectStatus.active,
        "is_pinned": form.get("is_pinned") == "true",
    }


def _project_form(project: Project) -> dict[str, str]:
    return {
        "name": project.name,
        "summary": project.summary,
        "description": project.description,
        "license": project.license or "",
        "repository_url": project.repository_url or "",
        "website_url": project.website_url or "",
        "tags": " ".join(project.tags),
        "status": project.status,
        "is_pinned": "true" if project.is_pinned else "",
    }


def _project_preview(member: Member, data: ProjectCreate) -> str:
    """Return the Note's HTML ``content`` the project would be published with."""
    urls = member.visitor.state.urls
    project = Project(
        id="preview",
        uri=urls.project("preview"),
        url=urls.project("preview"),
        actor_id=member.actor.id or 0,
        name=data.name,
        summary=data.summary,
        description=data.description,
        description_html=render_markdown(data.description),
        license=normalize_license(data.license) if data.license else None,
        repository_url=str(data.repository_url) if data.repository_url else None,
        website_url=str(data.website_url) if data.website_url else None,
        tags=data.tags,
        status=data.status,
    )
    return str(project_note(project, member.actor, urls)["content"])


def _project_page(
    member: Member, form: dict[str, str], errors: Errors, *, action: str, preview: str | None = None
) -> Response:
    context = {"form": form, "errors": errors, "statuses": STATUSES, "action": action}
    status = 422 if errors else 200
    return member.page("project_form.html", context | {"preview": preview}, status=status)


@router.get("/app/@{username}/projects/new")
async def new_project(member: MemberDep) -> Response:
    """The form of a new project."""
    action = f"/app/@{member.actor.username}/projects/new"
    return _project_page(member, {"status": "active"}, {}, action=action)


@router.post("/app/@{username}/projects/new")
async def post_project(member: MemberDep, session: SessionDep, form: FormDep) -> Response:
    """Preview or publish a project (``Create{Note}`` to followers)."""
    action = f"/app/@{member.actor.username}/projects/new"
    data, errors = validate(ProjectCreate, _project_fields(form))
    if data is not None:
        try:
            if form.get("preview"):
                return _project_page(
                    member, form, {}, action=action, preview=_project_preview(member, data)
                )
            actor = await acting_actor(session, member.principal)
            await create_project(session, member.visitor.state.urls, actor, data)
            await session.commit()
        except Invalid as error:
            errors = field_error(error)
        else:
            member.visitor.state.federation.wake_delivery()
            return see_other(f"/app/@{member.actor.username}")
    return _project_page(member, form, errors, action=action)


async def own_project(member: Member, session: AsyncSession, object_id: str) -> Project:
    """Return a project of the member's actor (403 for another actor's, 404 unknown)."""
    project = await get_project(session, object_id)
    await owner_for_change(session, member.principal, project, "project")
    return project


@router.get("/app/@{username}/projects/{object_id}/edit")
async def edit_project(object_id: str, member: MemberDep, session: SessionDep) -> Response:
    """The form of an existing project."""
    project = await own_project(member, session, object_id)
    action = f"/app/@{member.actor.username}/projects/{object_id}/edit"
    return _project_page(member, _project_form(project), {}, action=action)


@router.post("/app/@{username}/projects/{object_id}/edit")
async def save_project(
    object_id: str, member: MemberDep, session: SessionDep, form: FormDep
) -> Response:
    """Preview or save changes (``Update{Note}``)."""
    project = await own_project(member, session, object_id)
    action = f"/app/@{member.actor.username}/projects/{object_id}/edit"
    fields = _project_fields(form)
    data, errors = validate(ProjectCreate, fields)
    if data is not None:
        try:
            if form.get("preview"):
                preview = _project_preview(member, data)
                return _project_page(member, form, {}, action=action, preview=preview)
            actor = await owner_for_change(session, member.principal, project, "project")
            await update_project(
                session, member.visitor.state.urls, actor, project, ProjectUpdate(**fields)
            )
            await session.commit()
        except Invalid as error:
            errors = field_error(error)
        else:
            member.visitor.state.federation.wake_delivery()
            return see_other(f"/app/@{member.actor.username}")
    return _project_page(member, form, errors, action=action)


@router.post("/app/@{username}/projects/{object_id}/delete")
async def remove_project(
    object_id: str, member: MemberDep, session: SessionDep, form: FormDep
) -> Response:
    """Delete a project (``Delete`` to followers; its URL answers 410)."""
    project = await own_project(member, session, object_id)
    actor = await owner_for_change(session, member.principal, project, "project")
    await delete_project(session, member.visitor.state.urls, actor, project)
    await session.commit()
    member.visitor.state.federation.wake_delivery()
    return see_other(f"/app/@{member.actor.username}")


def _call_fields(form: dict[str, str]) -> dict[str, Any]:
    return {
        "title": form.get("title", ""),
        "summary": form.get("summary", ""),
        "description": form.get("description", ""),
        "project_id": form.get("project_id") or None,
        "goal": {
            "amount": typed_amount(form.get("goal", "")),
            "currency": form.get("currency", ""),
        },
        "deadline": form.get("deadline", ""),
        "tags": _tags(form.get("tags", "")),
    }


def _call_form(call: FundingCall) -> dict[str, str]:
    return {
        "title": call.title,
        "summary": call.summary,
        "description": call.description,
        "project_id": call.project_id or "",
        "goal": to_decimal_string(call.goal_minor, call.currency),
        "currency": call.currency,
        "deadline": call.deadline.isoformat(),
        "tags": " ".join(call.tags),
    }


def _call_preview(member: Member, data: FundingCallCreate, call: FundingCall | None) -> str:
    urls = member.visitor.state.urls
    preview = FundingCall(
        id="preview",
        uri=urls.funding_call("preview"),
        url=urls.funding_call("preview"),
        actor_id=member.actor.id or 0,
        title=data.title,
        summary=data.summary,
        description=data.description,
        description_html=render_markdown(data.description),
        currency=data.goal.currency,
        goal_minor=data.goal.minor(),
        raised_minor=call.raised_minor if call else 0,
        raised_by_sector=dict(call.raised_by_sector) if call else {},
        deadline=data.deadline,
        tags=data.tags,
    )
    note = funding_call_note(preview, member.actor, urls, status="open", project=None)
    return str(note["content"])


async def _call_page(
    member: Member,
    session: AsyncSession,
    form: dict[str, str],
    errors: Errors,
    *,
    action: str,
    preview: str | None = None,
) -> Response:
    projects = [("", N_("No project"))] + [
        (p.id, p.name) for p in await projects_of(session, member.actor.id or 0)
    ]
    context = {"form": form, "errors": errors, "projects": projects, "action": action}
    status = 422 if errors else 200
    return member.page("call_form.html", context | {"preview": preview}, status=status)


@router.get("/app/@{username}/calls/new")
async def new_call(member: MemberDep, session: SessionDep) -> Response:
    """The form of a new funding call."""
    action = f"/app/@{member.actor.username}/calls/new"
    return await _call_page(member, session, {"currency": "EUR"}, {}, action=action)


async def _save_call(
    member: Member, session: AsyncSession, form: dict[str, str], call: FundingCall | None
) -> Response:
    username = member.actor.username
    action = f"/app/@{username}/calls/" + (f"{call.id}/edit" if call else "new")
    data, errors = validate(FundingCallCreate, _call_fields(form))
    if data is not None:
        state = member.visitor.state
        today = state.clock.today()
        try:
            if form.get("preview"):
                preview = _call_preview(member, data, call)
                return await _call_page(member, session, form, {}, action=action, preview=preview)
            if call is None:
                actor = await acting_actor(session, member.principal)
                await create_funding_call(session, state.urls, actor, data, today=today)
            else:
                actor = await owner_for_change(session, member.principal, call, "funding call")
                update = FundingCallUpdate(**data.model_dump())
                await update_funding_call(session, state.urls, actor, call, update, today=today)
            await session.commit()
        except Invalid as error:
            errors = field_error(error)
        else:
            state.federation.wake_delivery()
            return see_other(f"/app/@{username}")
    return await _call_page(member, session, form, errors, action=action)


@router.post("/app/@{username}/calls/new")
async def post_call(member: MemberDep, session: SessionDep, form: FormDep) -> Response:
    """Preview or open a funding call (``Create{Note}``)."""
    return await _save_call(member, session, form, None)


async def own_call(member: Member, session: AsyncSession, object_id: str) -> FundingCall:
    """Return a funding call of the member's actor (403 for another actor's, 404 unknown)."""
    call = await get_funding_call(session, object_id)
    await owner_for_change(session, member.principal, call, "funding call")
    return call


@router.get("/app/@{username}/calls/{object_id}/edit")
async def edit_call(object_id: str, member: MemberDep, session: SessionDep) -> Response:
    """The form of an existing funding call."""
    call = await own_call(member, session, object_id)
    action = f"/app/@{member.actor.username}/calls/{object_id}/edit"
    return await _call_page(member, session, _call_form(call), {}, action=action)


@router.post("/app/@{username}/calls/{object_id}/edit")
async def save_call(
    object_id: str, member: MemberDep, session: SessionDep, form: FormDep
) -> Response:
    """Preview or save a funding call (``Update{Note}``)."""
    return await _save_call(member, session, form, await own_call(member, session, object_id))


@router.post("/app/@{username}/calls/{object_id}/delete")
async def remove_call(
    object_id: str, member: MemberDep, session: SessionDep, form: FormDep
) -> Response:
    """Delete a funding call (``Delete``; its URL answers 410)."""
    call = await own_call(member, session, object_id)
    actor = await owner_for_change(session, member.principal, call, "funding call")
    await delete_funding_call(session, member.visitor.state.urls, actor, call)
    await session.commit()
    member.visitor.state.federation.wake_delivery()
    return see_other(f"/app/@{member.actor.username}")
