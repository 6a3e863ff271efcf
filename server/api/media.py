"""JSON API: pictures. Avatars and headers of actors (their owners), logos and images of
projects and funding calls (whoever may edit them), uploaded as ``multipart/form-data``.

Each upload is checked and re-encoded (``server.media``): 413 over 8 MB, 415 for anything but
JPEG, PNG, WebP or GIF, 422 for a broken picture or an image without alt text.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, UploadFile
from sqlalchemy.ext.asyncio import AsyncSession

from schemas.api import MediaListPublic, MediaPublic
from server.domain.access import Role, owner_for_change, require_role
from server.domain.actors import get_local_actor
from server.domain.funding import get_funding_call
from server.domain.projects import get_project
from server.domain.tokens import Principal
from server.http.deps import AppState, SessionDep, StateDep, Writer
from server.http.doccache import actor_key
from server.http.jsonroute import StorableJSONRoute
from server.http.openapi import ErrorBody
from server.media import (
    MAX_UPLOAD,
    MediaFiles,
    MediaKind,
    add_picture,
    pictures_of,
    remove_actor_picture,
    remove_picture,
    set_actor_picture,
)
from server.media.library import MAX_ALT_TEXT, Owned
from server.storage.models import Actor, Media

router = APIRouter(prefix="/api/v1", tags=["media"], route_class=StorableJSONRoute)

#: What an upload may answer beside the errors every route documents (``server.http.openapi``).
_UPLOAD_ERRORS: dict[int | str, dict[str, Any]] = {
    415: {"model": ErrorBody, "description": "Not a JPEG, PNG, WebP or GIF picture"},
}

PictureFile = Annotated[
    UploadFile, File(description="JPEG, PNG, WebP or GIF (first frame), ≤ 8 MB")
]
AltText = Annotated[str, Form(max_length=MAX_ALT_TEXT, description="Alt text")]


def media_public(media: Media, state: AppState) -> MediaPublic:
    """Return the JSON API view of a picture."""
    return MediaPublic(
        id=media.id,
        kind=media.kind,
        url=state.urls.media(media.path),
        media_type=media.media_type,
        width=media.width,
        height=media.height,
        description=media.description,
        created_at=media.created_at,
    )


async def read_upload(upload: UploadFile) -> bytes:
    """Return the uploaded bytes, one more than ``MAX_UPLOAD`` at most: ``server.media``
    refuses that (the body limit already stopped anything much larger before it was read)."""
    return await upload.read(MAX_UPLOAD + 1)


def _files(state: AppState) -> MediaFiles:
    return MediaFiles(state.settings.media_dir)


async def _own_actor(session: AsyncSession, caller: Principal, username: str) -> Actor:
    actor = await get_local_actor(session, username)
    require_role(caller, actor, Role.owner)
    return actor


async def _actor_upload(
    kind: MediaKind,
    username: str,
    file: UploadFile,
    description: str,
    caller: Principal,
    state: AppState,
    session: AsyncSession,
) -> MediaPublic:
    actor = await _own_actor(session, caller, username)
    data = await read_upload(file)
    media = await set_actor_picture(
        session, state.urls, _files(state), actor, kind, data, description=description
    )
    state.documents.forget(actor_key(username))
    state.federation.wake_delivery()
    return media_public(media, state)


async def _actor_removal(
    kind: MediaKind, username: str, caller: Principal, state: AppState, session: AsyncSession
) -> None:
    actor = await _own_actor(session, caller, username)
    await remove_actor_picture(session, state.urls, _files(state), actor, kind)
    state.documents.forget(actor_key(username))
    state.federation.wake_delivery()


@router.post("/actors/{username}/avatar", status_code=201, responses=_UPLOAD_ERRORS)
async def post_avatar(
    username: str,
    file: PictureFile,
    caller: Writer,
    state: StateDep,
    session: SessionDep,
    description: AltText = "",
) -> MediaPublic:
    """Set the actor's avatar (cropped square, 400×400); followers receive an ``Update``."""
    return await _actor_upload(
        MediaKind.avatar, username, file, description, caller, state, session
    )


@router.post("/actors/{username}/header", status_code=201, responses=_UPLOAD_ERRORS)
async def post_header(
    username: str,
    file: PictureFile,
    caller: Writer,
    state: StateDep,
    session: SessionDep,
    description: AltText = "",
) -> MediaPublic:
    """Set the actor's header (cropped to 1500×500); followers receive an ``Update``."""
    return await _actor_upload(
        MediaKind.header, username, file, description, caller, state, session
    )


@router.delete("/actors/{username}/avatar", status_code=204)
async def delete_avatar(
    username: str, caller: Writer, state: StateDep, session: SessionDep
) -> None:
    """Remove the actor's avatar (its URL answers 410); followers receive an ``Update``."""
    await _actor_removal(MediaKind.avatar, username, caller, state, session)


@router.delete("/actors/{username}/header", status_code=204)
async def delete_header(
    username: str, caller: Writer, state: StateDep, session: SessionDep
) -> None:
    """Remove the actor's header (its URL answers 410); followers receive an ``Update``."""
    await _actor_removal(MediaKind.header, username, caller, state, session)


async def _project(session: AsyncSession, caller: Principal, object_id: str) -> tuple[Actor, Owned]:
    project = await get_project(session, object_id)
    return await owner_for_change(session, caller, project, "project"), project


async def _call(session: AsyncSession, caller: Principal, object_id: str) -> tuple[Actor, Owned]:
    call = await get_funding_call(session, object_id)
    return await owner_for_change(session, caller, call, "funding call"), call


async def _add(
    found: tuple[Actor, Owned],
    kind: MediaKind,
    file: UploadFile,
    description: str,
    state: AppState,
    session: AsyncSession,
) -> MediaPublic:
    owner, target = found
    data = await read_upload(file)
    media = await add_picture(
        session,
        state.urls,
        _files(state),
        owner,
        target,
        kind,
        data,
        description=description,
        today=state.clock.today(),
    )
    state.federation.wake_delivery()
    return media_public(media, state)


async def _remove(
    found: tuple[Actor, Owned], media_id: str, state: AppState, session: AsyncSession
) -> None:
    owner, target = found
    await remove_picture(
        session, state.urls, _files(state), owner, target, media_id, today=state.clock.today()
    )
    state.federation.wake_delivery()


async def _listed(target: Owned, state: AppState, session: AsyncSession) -> MediaListPublic:
    return MediaListPublic(
        items=[media_public(m, state) for m in await pictures_of(session, target)]
    )


@router.get("/projects/{object_id}/media")
async def read_project_media(
    object_id: str, state: StateDep, session: SessionDep
) -> MediaListPublic:
    """List a project's logo and images."""
    return await _listed(await get_project(session, object_id), state, session)


@router.post("/projects/{object_id}/media", status_code=201, responses=_UPLOAD_ERRORS)
async def post_project_image(
    object_id: str,
    file: PictureFile,
    description: AltText,
    caller: Writer,
    state: StateDep,
    session: SessionDep,
) -> MediaPublic:
    """Add an image (at most 4, alt text required); followers receive an ``Update{Note}``."""
    found = await _project(session, caller, object_id)
    return await _add(found, MediaKind.image, file, description, state, session)


@router.post("/projects/{object_id}/logo", status_code=201, responses=_UPLOAD_ERRORS)
async def post_project_logo(
    object_id: str,
    file: PictureFile,
    caller: Writer,
    state: StateDep,
    session: SessionDep,
    description: AltText = "",
) -> MediaPublic:
    """Set the project's logo (within 400×400); followers receive an ``Update{Note}``."""
    found = await _project(session, caller, object_id)
    return await _add(found, MediaKind.logo, file, description, state, session)


@router.delete("/projects/{object_id}/media/{media_id}", status_code=204)
async def delete_project_media(
    object_id: str, media_id: str, caller: Writer, state: StateDep, session: SessionDep
) -> None:
    """Remove an image or the logo (its URL answers 410); followers receive an ``Update``."""
    await _remove(await _project(session, caller, object_id), media_id, state, session)


@router.get("/funding-calls/{object_id}/media")
async def read_call_media(object_id: str, state: StateDep, session: SessionDep) -> MediaListPublic:
    """List a funding call's logo and images."""
    return await _listed(await get_funding_call(session, object_id), state, session)


@router.post("/funding-calls/{object_id}/media", status_code=201, responses=_UPLOAD_ERRORS)
async def post_call_image(
    object_id: str,
    file: PictureFile,
    description: AltText,
    caller: Writer,
    state: StateDep,
    session: SessionDep,
) -> MediaPublic:
    """Add an image (at most 4, alt text required); followers receive an ``Update{Note}``."""
    found = await _call(session, caller, object_id)
    return await _add(found, MediaKind.image, file, description, state, session)


@router.post("/funding-calls/{object_id}/logo", status_code=201, responses=_UPLOAD_ERRORS)
async def post_call_logo(
    object_id: str,
    file: PictureFile,
    caller: Writer,
    state: StateDep,
    session: SessionDep,
    description: AltText = "",
) -> MediaPublic:
    """Set the call's logo (within 400×400); followers receive an ``Update{Note}``."""
    found = await _call(session, caller, object_id)
    return await _add(found, MediaKind.logo, file, description, state, session)


@router.delete("/funding-calls/{object_id}/media/{media_id}", status_code=204)
async def delete_call_media(
    object_id: str, media_id: str, caller: Writer, state: StateDep, session: SessionDep
) -> None:
    """Remove an image or the logo (its URL answers 410); followers receive an ``Update``."""
    await _remove(await _call(session, caller, object_id), media_id, state, session)
