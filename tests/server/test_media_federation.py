"""Two real Communs instances: pictures published on A are what B keeps and shows."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from server.storage.models import Actor, Project
from tests.conftest import create_actor
from tests.pictures import picture
from tests.realservers import DEADLINE, eventually, serve

pytestmark = pytest.mark.slow


async def test_pictures__a_follower_on_another_instance_receives_them(
    database_url: str, second_database_url: str, tmp_path: Path
) -> None:
    async with (
        serve(database_url, media_dir=tmp_path / "a") as a,
        serve(second_database_url, media_dir=tmp_path / "b") as b,
        httpx.AsyncClient(timeout=DEADLINE) as http,
    ):
        # Given bob on B follows alice on A, and alice has a project
        _, alice_token = await create_actor(a.app, "alice")
        _, bob_token = await create_actor(b.app, "bob")
        alice = {"Authorization": f"Bearer {alice_token}"}
        bob = {"Authorization": f"Bearer {bob_token}"}
        await http.post(
            f"{b.base_url}/api/v1/follows", json={"target": f"alice@{a.domain}"}, headers=bob
        )

        async def accepted() -> bool:
            listed = (await http.get(f"{b.base_url}/api/v1/follows", headers=bob)).json()
            return [f["state"] for f in listed] == ["accepted"]

        await eventually(accepted, what="the follow to be accepted")
        project = (
            await http.post(
                f"{a.base_url}/api/v1/projects", json={"name": "Commons Cloud"}, headers=alice
            )
        ).json()

        # When alice sets her avatar and adds an image to the project
        files = {"file": ("me.png", picture("PNG", (500, 500)), "image/png")}
        avatar = await http.post(
            f"{a.base_url}/api/v1/actors/alice/avatar", files=files, headers=alice
        )
        assert avatar.status_code == 201, avatar.text
        files = {"file": ("map.jpg", picture(size=(1200, 800)), "image/jpeg")}
        image = await http.post(
            f"{a.base_url}/api/v1/projects/{project['id']}/media",
            files=files,
            data={"description": "The servers' map"},
            headers=alice,
        )
        assert image.status_code == 201, image.text

        # Then B keeps alice's avatar from her Update
        async def avatar_on_b() -> object:
            async with b.app.state.communs.db.session() as session:
                return await session.scalar(
                    select(Actor.icon).where(Actor.uri == f"{a.base_url}/actors/alice")
                )

        icon = await eventually(avatar_on_b, what="B to keep alice's avatar")
        assert icon == {"type": "Image", "url": avatar.json()["url"], "mediaType": "image/jpeg"}

        # And the project's image, with its alt text, from the Update of its Note
        async def attachment_on_b() -> object:
            async with b.app.state.communs.db.session() as session:
                return await session.scalar(
                    select(Project.attachment).where(Project.uri == project["uri"])
                )

        [attached] = await eventually(attachment_on_b, what="B to keep the project's image")
        assert attached == {
            "type": "Image",
            "url": image.json()["url"],
            "mediaType": "image/jpeg",
            "name": "The servers' map",
            "width": 1200,
            "height": 800,
        }
        # And the picture is served over real HTTP
        served = await http.get(attached["url"])
        assert served.status_code == 200 and served.headers["content-type"] == "image/jpeg"
