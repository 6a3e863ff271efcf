"""Pictures from the web app: an actor's avatar and header (owners), a project's or a call's
logo and images (editors), each on a page of its own linked from the editing forms.

The same services as the JSON API (``server.media``) do the work; their refusals are shown
next to the field they name, in the visitor's language.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException

from server.domain.access import Role, require_role
from server.errors import NotFound, ServiceError
from server.http.deps import SessionDep
from server.http.doccache import actor_key
from server.i18n import N_
from server.media import (
    MAX_IMAGES,
    MAX_UPLOAD,
    MediaFiles,
    MediaKind,
    add_picture,
    pictures_of,
    remove_actor_picture,
    remove_picture,
    set_actor_picture,
)
from server.media.images import too_large
from server.media.library import NO_SUCH_PICTURE, Owned
from server.storage.models import Actor, Media
from server.webapp.forms import CSRF_REFUSAL, Errors, WebRoute, field_error, see_other
from server.webapp.publications import own_call, own_project
from server.webapp.visitors import Member, MemberDep

__all__ = ["router"]

router = APIRouter(include_in_schema=False, route_class=WebRoute)

_ACTOR_KINDS = [(MediaKind.avatar, N_("Avatar")), (MediaKind.header, N_("Header"))]
_OBJECT_KINDS = [(MediaKind.logo, N_("Logo")), (MediaKind.image, N_("Image"))]


async def _posted(request: Request, member: Member) -> tuple[dict[str, str], bytes | None]:
    """Return the text fields and the file of a CSRF-checked multipart form.

    Raises ``TooLarge`` for a body over the upload limit (cut while read).
    """
    try:
        async with request.form(max_files=1, max_fields=5) as form:
            upload = form.get("file")
            data = None
            if isinstance(upload, UploadFile) and upload.filename:
                data = await upload.read(MAX_UPLOAD + 1)
            fields = {key: value for key, value in form.items() if isinstance(value, str)}
    except HTTPException as error:
        if error.status_code == 413:
            raise too_large() from None
        raise
    if not member.visitor.csrf_is_valid(fields.get("csrf", "")):
        raise HTTPException(403, CSRF_REFUSAL)
    return fields, data


def _page(
    member: Member,
    base: str,
    pictures: list[Media],
    *,
    kinds: list[tuple[MediaKind, str]],
    title: str,
    back: str,
    errors: Errors | None = None,
    form: dict[str, str] | None = None,
) -> Response:
    images = sum(1 for p in pictures if p.kind == MediaKind.image)
    context = {
        "title": title,
        "action": f"{base}/pictures",
        "back": back,
        "pictures": pictures,
        "kinds": [(k, label) for k, label in kinds if k != MediaKind.image or images < MAX_IMAGES],
        "errors": errors or {},
        "form": form or {},
        "media_url": member.visitor.state.urls.media,
    }
    return member.page("pictures.html", context, status=422 if errors else 200)


def _files(member: Member) -> MediaFiles:
    return MediaFiles(member.visitor.state.settings.media_dir)


# -- an actor's avatar and header -------------------------------------------------------------


def _actor_base(member: Member) -> str:
    return f"/app/@{member.actor.username}"


async def _actor_page(member: Member, session: AsyncSession, **more: object) -> Response:
    actor = await session.merge(member.actor)
    pictures = await pictures_of(session, actor)
    base = _actor_base(member)
    title, back = N_("Avatar and header"), f"{base}/profile"
    return _page(member, base, pictures, kinds=_ACTOR_KINDS, title=title, back=back, **more)


@router.get("/app/@{username}/pictures")
async def actor_pictures(member: MemberDep, session: SessionDep) -> Response:
    """The actor's avatar and header, and a form to change them (owners)."""
    require_role(member.principal, member.actor, Role.owner)
    return await _actor_page(member, session)


@router.post("/app/@{username}/pictures")
async def post_actor_picture(request: Request, member: MemberDep, session: SessionDep) -> Response:
    """Set the avatar or header; followers get an ``Update`` of the actor."""
    require_role(member.principal, member.actor, Role.owner)
    form: dict[str, str] = {}
    try:
        form, data = await _posted(request, member)
        kind = _kind(form, _ACTOR_KINDS)
        if data is None:
            return await _actor_page(
                member, session, errors={"file": N_("Choose a picture.")}, form=form
            )
        actor = await session.merge(member.actor)
        state = member.visitor.state
        await set_actor_picture(
            session,
            state.urls,
            _files(member),
            actor,
            kind,
            data,
            description=form.get("description", ""),
        )
    except ServiceError as error:  # each refusal comes before anything is written
        return await _actor_page(member, session, errors=field_error(error), form=form)
    _actor_changed(member, actor)
    return see_other(f"{_actor_base(member)}/pictures")


@router.post("/app/@{username}/pictures/{media_id}/delete")
async def delete_actor_picture(
    media_id: str, request: Request, member: MemberDep, session: SessionDep
) -> Response:
    """Remove the avatar or header; followers get an ``Update`` of the actor."""
    require_role(member.principal, member.actor, Role.owner)
    await _posted(request, member)
    actor = await session.merge(member.actor)
    found = next((p for p in await pictures_of(session, actor) if p.id == media_id), None)
    if found is None:
        raise NotFound(NO_SUCH_PICTURE)
    state = member.visitor.state
    await remove_actor_picture(session, state.urls, _files(member), actor, MediaKind(found.kind))
    _actor_changed(member, actor)
    return see_other(f"{_actor_base(member)}/pictures")


def _actor_changed(member: Member, actor: Actor) -> None:
    state = member.visitor.state
    state.documents.forget(actor_key(actor.username))
    state.federation.wake_delivery()


def _kind(form: dict[str, str], allowed: list[tuple[MediaKind, str]]) -> MediaKind:
    for kind, _ in allowed:
        if form.get("kind") == kind:
            return kind
    raise HTTPException(422, N_("Choose one of the options."))


# -- a project's or a call's logo and images --------------------------------------------------


async def _target(member: Member, session: AsyncSession, what: str, object_id: str) -> Owned:
    if what == "projects":
        return await own_project(member, session, object_id)
    return await own_call(member, session, object_id)


async def _object_page(
    member: Member, session: AsyncSession, what: str, target: Owned, **more: object
) -> Response:
    base = f"/app/@{member.actor.username}/{what}/{target.id}"
    title = (
        N_("Logo and images of the project")
        if what == "projects"
        else N_("Logo and images of the call")
    )
    pictures = await pictures_of(session, target)
    back = f"{base}/edit"
    return _page(member, base, pictures, kinds=_OBJECT_KINDS, title=title, back=back, **more)


@router.get("/app/@{username}/{what}/{object_id}/pictures")
async def object_pictures(
    what: str, object_id: str, member: MemberDep, session: SessionDep
) -> Response:
    """A project's or call's logo and images, and a form to add one."""
    target = await _target(member, session, _what(what), object_id)
    return await _object_page(member, session, what, target)


@router.post("/app/@{username}/{what}/{object_id}/pictures")
async def post_object_picture(
    what: str, object_id: str, request: Request, member: MemberDep, session: SessionDep
) -> Response:
    """Add an image or set the logo; followers get an ``Update{Note}``."""
    target = await _target(member, session, _what(what), object_id)
    form: dict[str, str] = {}
    try:
        form, data = await _posted(request, member)
        kind = _kind(form, _OBJECT_KINDS)
        if data is None:
            errors = {"file": N_("Choose a picture.")}
            return await _object_page(member, session, what, target, errors=errors, form=form)
        state = member.visitor.state
        owner = await session.merge(member.actor)
        await add_picture(
            session,
            state.urls,
            _files(member),
            owner,
            target,
            kind,
            data,
            description=form.get("description", ""),
            today=state.clock.today(),
        )
    except ServiceError as error:  # each refusal comes before anything is written
        return await _object_page(
            member, session, what, target, errors=field_error(error), form=form
        )
    member.visitor.state.federation.wake_delivery()
    return see_other(f"/app/@{member.actor.username}/{what}/{object_id}/pictures")


@router.post("/app/@{username}/{what}/{object_id}/pictures/{media_id}/delete")
async def delete_object_picture(
    what: str,
    object_id: str,
    media_id: str,
    request: Request,
    member: MemberDep,
    session: SessionDep,
) -> Response:
    """Remove an image or the logo; followers get an ``Update{Note}``."""
    target = await _target(member, session, _what(what), object_id)
    await _posted(request, member)
    state = member.visitor.state
    owner = await session.merge(member.actor)
    await remove_picture(
        session, state.urls, _files(member), owner, target, media_id, today=state.clock.today()
    )
    state.federation.wake_delivery()
    return see_other(f"/app/@{member.actor.username}/{what}/{object_id}/pictures")


def _what(what: str) -> str:
    if what not in ("projects", "calls"):
        raise NotFound(N_("This page does not exist."))
    return what
