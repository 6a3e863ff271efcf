"""Pictures from the web app: forms with CSRF, the same services as the API, and refusals
shown next to their field in the visitor's language."""

from __future__ import annotations

import re

import httpx
from fastapi import FastAPI
from sqlalchemy import func, select

from server.domain.access import Role
from server.storage.models import Media
from tests.conftest import create_actor
from tests.pictures import picture
from tests.publications import AS2_ACCEPT, post_project
from tests.webapp.people import csrf_in, make_account, sign_in


async def _signed_in_member(
    app: FastAPI, client: httpx.AsyncClient, role: Role = Role.owner
) -> str:
    _, token = await create_actor(app, "coop")
    await make_account(app, "ada@example.org", member_of=await _coop(app), role=role)
    await sign_in(client, "ada@example.org")
    return token


async def _coop(app: FastAPI):  # type: ignore[no-untyped-def]
    from server.storage.models import Actor

    async with app.state.communs.db.session() as session:
        return (await session.execute(select(Actor).where(Actor.username == "coop"))).scalar_one()


async def _upload(
    client: httpx.AsyncClient,
    page: str,
    fields: dict[str, str],
    data: bytes,
    *,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    csrf = csrf_in((await client.get(page)).text)
    files = {"file": ("photo.jpg", data, "image/jpeg")}
    return await client.post(page, data={"csrf": csrf, **fields}, files=files, headers=headers)


async def _media_rows(app: FastAPI) -> int:
    async with app.state.communs.db.session() as session:
        return int(await session.scalar(select(func.count()).select_from(Media)) or 0)


def _field_error(html: str, name: str) -> str:
    found = re.search(rf'<p class="field-error" id="{name}-error">([^<]+)</p>', html)
    assert found, f"no error next to {name}"
    return found.group(1)


async def test_avatar_form__sets_the_avatar_the_fediverse_sees(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # Given the owner, signed in, on the profile form
    await _signed_in_member(app, client)
    profile = await client.get("/app/@coop/profile")
    assert 'href="/app/@coop/pictures"' in profile.text

    # When they upload an avatar
    response = await _upload(client, "/app/@coop/pictures", {"kind": "avatar"}, picture())

    # Then they come back to the page, which shows it
    assert response.status_code == 303
    page = await client.get("/app/@coop/pictures")
    document = (await client.get("/actors/coop", headers=AS2_ACCEPT)).json()
    url = document["icon"]["url"]
    assert "/media/" in url and url.removeprefix("http://communs.test") in page.text

    # And removing it makes its URL answer 410
    [media_id] = re.findall(r'action="/app/@coop/pictures/([0-9a-z]+)/delete"', page.text)
    csrf = csrf_in(page.text)
    removed = await client.post(f"/app/@coop/pictures/{media_id}/delete", data={"csrf": csrf})
    assert removed.status_code == 303
    assert (await client.get(url)).status_code == 410


async def test_avatar_form__a_file_that_is_no_picture_is_refused_in_french(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await _signed_in_member(app, client)
    response = await _upload(
        client,
        "/app/@coop/pictures",
        {"kind": "avatar"},
        b"MZ\x90\x00 not a picture",
        headers={"Accept-Language": "fr"},
    )
    assert response.status_code == 422
    assert _field_error(response.text, "file") == (
        "seules les images JPEG, PNG, WebP et GIF sont acceptées"
    )
    assert await _media_rows(app) == 0


async def test_avatar_form__without_csrf_is_403_and_writes_nothing(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await _signed_in_member(app, client)
    files = {"file": ("photo.jpg", picture(), "image/jpeg")}
    response = await client.post("/app/@coop/pictures", data={"kind": "avatar"}, files=files)
    assert response.status_code == 403
    assert await _media_rows(app) == 0


async def test_avatar_form__an_editor_may_not_change_the_profile(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await _signed_in_member(app, client, role=Role.editor)
    assert (await client.get("/app/@coop/pictures")).status_code == 403


async def test_project_pictures__image_needs_alt_text_then_is_attached(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # Given an editor of coop and one of its projects
    token = await _signed_in_member(app, client, role=Role.editor)
    project = await post_project(client, token)
    page = f"/app/@coop/projects/{project['id']}/pictures"
    edit = await client.get(f"/app/@coop/projects/{project['id']}/edit")
    assert f'href="{page}"' in edit.text

    # When an image comes without alt text, it is refused next to the field
    refused = await _upload(client, page, {"kind": "image"}, picture())
    assert refused.status_code == 422
    assert _field_error(refused.text, "description") == (
        "an image needs its alt text, for those who cannot see it"
    )
    assert await _media_rows(app) == 0

    # And with it, the image is attached to the project's Note
    added = await _upload(client, page, {"kind": "image", "description": "Our map"}, picture())
    assert added.status_code == 303
    note = (await client.get(project["uri"], headers=AS2_ACCEPT)).json()
    assert [a["name"] for a in note["attachment"]] == ["Our map"]


async def test_pictures_page__each_remove_button_names_its_picture(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # Given a project with two images, and an actor with an avatar
    token = await _signed_in_member(app, client)
    project = await post_project(client, token)
    page = f"/app/@coop/projects/{project['id']}/pictures"
    for alt in ("Our map", "The team"):
        await _upload(client, page, {"kind": "image", "description": alt}, picture())
    await _upload(client, "/app/@coop/pictures", {"kind": "avatar"}, picture())

    # Then each "Remove" button says which picture it removes, in the page's language
    def names(html: str) -> list[str]:
        return re.findall(r'<button type="submit" class="danger" aria-label="([^"]+)">', html)

    english = (await client.get(page)).text
    assert sorted(names(english)) == ["Remove the image “Our map”", "Remove the image “The team”"]
    french = (await client.get(page, headers={"Accept-Language": "fr"})).text
    assert sorted(names(french)) == ["Retirer l’image « Our map »", "Retirer l’image « The team »"]
    avatar = (await client.get("/app/@coop/pictures", headers={"Accept-Language": "fr"})).text
    assert names(avatar) == ["Retirer l’avatar"]
