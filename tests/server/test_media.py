"""Pictures through the JSON API: uploaded, re-encoded, published, served, removed."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from server.media import MediaFiles, retire_orphans
from server.storage.models import Media
from tests.conftest import create_actor
from tests.pictures import opened, picture
from tests.publications import AS2_ACCEPT, bearer, post_call, post_project, sent


def upload(data: bytes, name: str = "photo.jpg", content_type: str = "image/jpeg") -> Any:
    return {"file": (name, data, content_type)}


async def media_rows(app: FastAPI) -> int:
    async with app.state.communs.db.session() as session:
        return int(await session.scalar(select(func.count()).select_from(Media)) or 0)


async def test_avatar__is_served_and_published_as_the_actors_icon(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # Given an actor
    _, token = await create_actor(app, "coop")

    # When it uploads a large photo with its position in it
    response = await client.post(
        "/api/v1/actors/coop/avatar",
        files=upload(picture(size=(900, 600), gps=True)),
        headers=bearer(token),
    )

    # Then the avatar is a 400×400 JPEG without metadata, served for a year
    assert response.status_code == 201, response.text
    media = response.json()
    assert (media["kind"], media["width"], media["height"]) == ("avatar", 400, 400)
    assert media["url"].startswith("http://communs.test/media/")
    served = await client.get(media["url"])
    assert served.status_code == 200
    assert served.headers["content-type"] == "image/jpeg"
    assert served.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert served.headers["x-content-type-options"] == "nosniff"
    assert not opened(served.content).getexif()
    # And it carries its content's hash as ETag
    etag = served.headers["etag"]
    again = await client.get(media["url"], headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    # And the actor document carries it as its icon
    document = (await client.get("/actors/coop", headers=AS2_ACCEPT)).json()
    assert document["icon"] == {"type": "Image", "mediaType": "image/jpeg", "url": media["url"]}
    assert "image" not in document
    # And the followers are sent an Update of the actor
    [update] = [a for a in await sent(app) if a["type"] == "Update"]
    assert update["object"]["icon"]["url"] == media["url"]
    # And the API says so
    actor = (await client.get("/api/v1/actors/coop")).json()
    assert actor["avatar"] == media["url"] and actor["header"] is None


async def test_header__cropped_to_1500_by_500_and_published_as_image(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    _, token = await create_actor(app, "coop")
    response = await client.post(
        "/api/v1/actors/coop/header",
        files=upload(picture("PNG", size=(2000, 1000)), "banner.png", "image/png"),
        headers=bearer(token),
    )
    assert response.status_code == 201, response.text
    assert (response.json()["width"], response.json()["height"]) == (1500, 500)
    document = (await client.get("/actors/coop", headers=AS2_ACCEPT)).json()
    assert document["image"]["url"] == response.json()["url"]
    assert document["image"]["type"] == "Image"


async def test_avatar__replacing_it_retires_the_former_file_with_410(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    _, token = await create_actor(app, "coop")
    first = await client.post(
        "/api/v1/actors/coop/avatar", files=upload(picture()), headers=bearer(token)
    )
    second = await client.post(
        "/api/v1/actors/coop/avatar",
        files=upload(picture(color=(0, 0, 255))),
        headers=bearer(token),
    )
    assert (await client.get(first.json()["url"])).status_code == 410
    assert (await client.get(second.json()["url"])).status_code == 200


async def test_avatar__delete_answers_410_and_falls_back_to_the_default(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    _, token = await create_actor(app, "coop")
    posted = await client.post(
        "/api/v1/actors/coop/avatar", files=upload(picture()), headers=bearer(token)
    )
    url = posted.json()["url"]

    removed = await client.delete("/api/v1/actors/coop/avatar", headers=bearer(token))

    assert removed.status_code == 204
    gone = await client.get(url)
    assert gone.status_code == 410 and gone.json()["detail"]
    document = (await client.get("/actors/coop", headers=AS2_ACCEPT)).json()
    assert document["icon"]["url"] == "http://communs.test/static/avatar.png"
    again = await client.delete("/api/v1/actors/coop/avatar", headers=bearer(token))
    assert again.status_code == 404


async def test_avatar__another_actors_token_is_403_and_writes_nothing(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await create_actor(app, "coop")
    _, other = await create_actor(app, "other")
    response = await client.post(
        "/api/v1/actors/coop/avatar", files=upload(picture()), headers=bearer(other)
    )
    assert response.status_code == 403
    assert await media_rows(app) == 0


async def test_avatar__without_a_token_is_401(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/v1/actors/coop/avatar", files=upload(picture()))
    assert response.status_code == 401


@pytest.mark.parametrize(
    ("data", "name", "content_type"),
    [
        (picture("BMP"), "photo.jpg", "image/jpeg"),
        (b"#!/bin/sh\necho hi\n", "photo.png", "image/png"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "logo.svg", "image/svg+xml"),
    ],
    ids=["bmp-called-jpeg", "script-called-png", "svg"],
)
async def test_upload__anything_but_a_picture_is_415_whatever_its_name(
    app: FastAPI, client: httpx.AsyncClient, data: bytes, name: str, content_type: str
) -> None:
    _, token = await create_actor(app, "coop")
    response = await client.post(
        "/api/v1/actors/coop/avatar",
        files=upload(data, name, content_type),
        headers=bearer(token),
    )
    assert response.status_code == 415, response.text
    assert await media_rows(app) == 0


async def test_upload__over_8_mb_is_413_before_it_is_read(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    _, token = await create_actor(app, "coop")
    big = b"\xff\xd8\xff" + b"\0" * (9 * 1024 * 1024)
    response = await client.post(
        "/api/v1/actors/coop/avatar", files=upload(big), headers=bearer(token)
    )
    assert response.status_code == 413
    assert response.headers["connection"] == "close"
    assert await media_rows(app) == 0


async def test_upload__without_a_file_is_422(app: FastAPI, client: httpx.AsyncClient) -> None:
    _, token = await create_actor(app, "coop")
    response = await client.post(
        "/api/v1/actors/coop/avatar", data={"description": "me"}, headers=bearer(token)
    )
    assert response.status_code == 422


async def test_project_images__attached_to_the_note_with_their_alt_text(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # Given a project
    _, token = await create_actor(app, "coop")
    project = await post_project(client, token)

    # When two images and a logo are added
    urls = []
    for alt, color in (("A map of the servers", (9, 9, 9)), ("Our team", (200, 200, 0))):
        response = await client.post(
            f"/api/v1/projects/{project['id']}/media",
            files=upload(picture(size=(2400, 1600), color=color)),
            data={"description": alt},
            headers=bearer(token),
        )
        assert response.status_code == 201, response.text
        urls.append(response.json()["url"])
    logo = await client.post(
        f"/api/v1/projects/{project['id']}/logo",
        files=upload(picture("PNG", mode="RGBA", color=(0, 0, 0, 0)), "logo.png", "image/png"),
        headers=bearer(token),
    )
    assert logo.status_code == 201, logo.text

    # Then the Note carries them as Mastodon shows media, in order, with alt text in name
    note = (await client.get(project["uri"], headers=AS2_ACCEPT)).json()
    assert note["attachment"] == [
        {
            "type": "Image",
            "mediaType": "image/jpeg",
            "url": urls[0],
            "width": 1763,
            "height": 1175,
            "name": "A map of the servers",
        },
        {
            "type": "Image",
            "mediaType": "image/jpeg",
            "url": urls[1],
            "width": 1763,
            "height": 1175,
            "name": "Our team",
        },
    ]
    assert note["icon"]["url"] == logo.json()["url"]
    assert note["icon"]["mediaType"] == "image/png"
    # And each change was an Update{Note} with a later `updated`
    updates = [a for a in await sent(app, project["uri"]) if a["type"] == "Update"]
    assert len(updates) == 3
    stamps = [u["object"]["updated"] for u in updates]
    assert stamps == sorted(set(stamps))
    assert len(updates[-1]["object"]["attachment"]) == 2
    # And the API lists them, and shows them with the project
    listed = (await client.get(f"/api/v1/projects/{project['id']}/media")).json()["items"]
    assert [m["kind"] for m in listed] == ["image", "image", "logo"]
    shown = (await client.get(f"/api/v1/projects/{project['id']}")).json()
    assert shown["logo"]["url"] == logo.json()["url"]
    assert [(i["url"], i["description"]) for i in shown["images"]] == [
        (urls[0], "A map of the servers"),
        (urls[1], "Our team"),
    ]


async def test_project_images__alt_text_is_required(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    _, token = await create_actor(app, "coop")
    project = await post_project(client, token)
    for data in ({}, {"description": "   "}):
        response = await client.post(
            f"/api/v1/projects/{project['id']}/media",
            files=upload(picture()),
            data=data,
            headers=bearer(token),
        )
        assert response.status_code == 422, response.text
    assert await media_rows(app) == 0


async def test_project_images__a_fifth_is_409(app: FastAPI, client: httpx.AsyncClient) -> None:
    _, token = await create_actor(app, "coop")
    project = await post_project(client, token)
    statuses = []
    for shade in range(5):
        response = await client.post(
            f"/api/v1/projects/{project['id']}/media",
            files=upload(picture(color=(shade * 40, 0, 0))),
            data={"description": f"Picture {shade}"},
            headers=bearer(token),
        )
        statuses.append(response.status_code)
    assert statuses == [201, 201, 201, 201, 409]
    assert await media_rows(app) == 4


async def test_project_images__removing_one_updates_the_note_and_answers_410(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    _, token = await create_actor(app, "coop")
    project = await post_project(client, token)
    posted = await client.post(
        f"/api/v1/projects/{project['id']}/media",
        files=upload(picture()),
        data={"description": "A map"},
        headers=bearer(token),
    )
    media = posted.json()

    removed = await client.delete(
        f"/api/v1/projects/{project['id']}/media/{media['id']}", headers=bearer(token)
    )

    assert removed.status_code == 204
    assert (await client.get(media["url"])).status_code == 410
    note = (await client.get(project["uri"], headers=AS2_ACCEPT)).json()
    assert "attachment" not in note
    last = [a for a in await sent(app, project["uri"]) if a["type"] == "Update"][-1]
    assert "attachment" not in last["object"]
    again = await client.delete(
        f"/api/v1/projects/{project['id']}/media/{media['id']}", headers=bearer(token)
    )
    assert again.status_code == 404


async def test_project_images__another_actors_token_is_403(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    _, token = await create_actor(app, "coop")
    _, other = await create_actor(app, "other")
    project = await post_project(client, token)
    response = await client.post(
        f"/api/v1/projects/{project['id']}/media",
        files=upload(picture()),
        data={"description": "Not mine"},
        headers=bearer(other),
    )
    assert response.status_code == 403
    assert await media_rows(app) == 0


async def test_call_images__attached_to_the_calls_note(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    _, token = await create_actor(app, "coop")
    call = await post_call(client, token)
    response = await client.post(
        f"/api/v1/funding-calls/{call['id']}/media",
        files=upload(picture("GIF"), "anim.gif", "image/gif"),
        data={"description": "The workshop"},
        headers=bearer(token),
    )
    assert response.status_code == 201, response.text
    note = (await client.get(call["uri"], headers=AS2_ACCEPT)).json()
    assert [(a["url"], a["name"]) for a in note["attachment"]] == [
        (response.json()["url"], "The workshop")
    ]
    [update] = [a for a in await sent(app, call["uri"]) if a["type"] == "Update"]
    assert update["object"]["attachment"] == note["attachment"]
    shown = (await client.get(f"/api/v1/funding-calls/{call['id']}")).json()
    assert shown["images"][0]["media_type"] == "image/jpeg" and shown["logo"] is None


@pytest.mark.parametrize(
    "path",
    [
        "/media/ab/cd.jpg",
        "/media/../communs.db",
        "/media/%2e%2e/secret",
        "/media/" + "0" * 2 + "/" + "1" * 64 + ".jpg",
        "/media/00/" + "0" * 64 + ".exe",
    ],
)
async def test_media__unknown_or_crafted_paths_are_404(
    client: httpx.AsyncClient, path: str
) -> None:
    response = await client.get(path)
    assert response.status_code == 404


async def test_media__head_gives_the_headers_without_the_body(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    _, token = await create_actor(app, "coop")
    posted = await client.post(
        "/api/v1/actors/coop/avatar", files=upload(picture()), headers=bearer(token)
    )
    response = await client.head(posted.json()["url"])
    assert response.status_code == 200 and response.content == b""
    assert int(response.headers["content-length"]) > 0


async def test_media__identical_uploads_share_one_file_until_both_are_gone(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    _, token = await create_actor(app, "coop")
    _, other_token = await create_actor(app, "other")
    data = picture(size=(500, 500))
    first = await client.post(
        "/api/v1/actors/coop/avatar", files=upload(data), headers=bearer(token)
    )
    second = await client.post(
        "/api/v1/actors/other/avatar", files=upload(data), headers=bearer(other_token)
    )
    assert first.json()["url"] == second.json()["url"]

    await client.delete("/api/v1/actors/coop/avatar", headers=bearer(token))
    assert (await client.get(first.json()["url"])).status_code == 200
    await client.delete("/api/v1/actors/other/avatar", headers=bearer(other_token))
    assert (await client.get(first.json()["url"])).status_code == 410


async def test_pages__show_the_avatar_header_and_images_with_their_alt_text(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # Given an actor with an avatar and a header, and a project with a logo and an image
    _, token = await create_actor(app, "coop")
    urls = {}
    for kind in ("avatar", "header"):
        response = await client.post(
            f"/api/v1/actors/coop/{kind}",
            files=upload(picture(size=(900, 300))),
            headers=bearer(token),
        )
        urls[kind] = response.json()["url"]
    project = await post_project(client, token)
    image = await client.post(
        f"/api/v1/projects/{project['id']}/media",
        files=upload(picture()),
        data={"description": "Volunteers at the repair café"},
        headers=bearer(token),
    )

    # When people read the profile and the project's page
    profile = (await client.get("/@coop")).text
    page = (await client.get(f"/projects/{project['id']}")).text

    # Then they see the pictures, each image described
    assert f'src="{urls["avatar"]}"' in profile and f'src="{urls["header"]}"' in profile
    assert f'src="{image.json()["url"]}" alt="Volunteers at the repair café"' in page


async def test_retire_orphans__pictures_of_deleted_projects_and_actors_answer_410(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # Given an actor with an avatar, and a project with an image, both deleted
    _, token = await create_actor(app, "coop")
    _, keeper = await create_actor(app, "keeper")
    project = await post_project(client, token)
    image = await client.post(
        f"/api/v1/projects/{project['id']}/media",
        files=upload(picture()),
        data={"description": "A map"},
        headers=bearer(token),
    )
    avatar = await client.post(
        "/api/v1/actors/coop/avatar",
        files=upload(picture(color=(1, 1, 1))),
        headers=bearer(token),
    )
    kept = await client.post(
        "/api/v1/actors/keeper/avatar",
        files=upload(picture(color=(9, 9, 9))),
        headers=bearer(keeper),
    )
    await client.delete(f"/api/v1/projects/{project['id']}", headers=bearer(token))
    assert (await client.get(image.json()["url"])).status_code == 200  # (until the chore)
    await client.delete("/api/v1/actors/coop", headers=bearer(token))

    # When the chore runs
    state = app.state.communs
    retired = await retire_orphans(state.db, MediaFiles(state.settings.media_dir))

    # Then their pictures answer 410, and others stay
    assert retired == 2
    assert (await client.get(image.json()["url"])).status_code == 410
    assert (await client.get(avatar.json()["url"])).status_code == 410
    assert (await client.get(kept.json()["url"])).status_code == 200
    assert await retire_orphans(state.db, MediaFiles(state.settings.media_dir)) == 0
