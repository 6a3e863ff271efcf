"""The ``communs`` command, run as an admin would run it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
from fastapi import FastAPI

COMMUNS = str(Path(sys.executable).parent / "communs")


def run(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "COMMUNS_BASE_URL": "http://communs.test", **env}
    return subprocess.run(
        [COMMUNS, *args], capture_output=True, text=True, env=full_env, timeout=120, check=False
    )


def test_cli__bad_setting_is_one_line_naming_it() -> None:
    result = run("migrate", COMMUNS_BASE_URL="ftp://nowhere")
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "COMMUNS_BASE_URL" in lines[0]


def test_cli__bad_database_url_is_one_line() -> None:
    result = run("migrate", COMMUNS_DATABASE_URL="mysql://x")
    assert result.returncode != 0 and "COMMUNS_DATABASE_URL" in result.stderr
    assert "Traceback" not in result.stderr


async def test_cli__actor_and_token_create(
    database_url: str, app: FastAPI, client: httpx.AsyncClient
) -> None:
    # Given a migrated database
    assert run("migrate", COMMUNS_DATABASE_URL=database_url).returncode == 0
    # When an admin creates an actor and a token for it
    created = run(
        "actor",
        "create",
        "coop",
        "--name",
        "La Coop",
        "--kind",
        "association",
        COMMUNS_DATABASE_URL=database_url,
    )
    assert created.returncode == 0, created.stderr
    issued = run("token", "create", "coop", COMMUNS_DATABASE_URL=database_url)
    assert issued.returncode == 0, issued.stderr
    token = issued.stdout.strip().splitlines()[-1]
    # Then the actor exists and the token acts as it
    response = await client.patch(
        "/api/v1/actors/coop",
        json={"region": "Bretagne"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 200 and response.json()["kind"] == "association"


async def test_cli__admin_token_and_refusals(database_url: str, client: httpx.AsyncClient) -> None:
    admin = run("token", "create", "--admin", COMMUNS_DATABASE_URL=database_url)
    assert admin.returncode == 0, admin.stderr
    token = admin.stdout.strip().splitlines()[-1]
    response = await client.post(
        "/api/v1/actors",
        json={"username": "made", "name": "Made"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 201
    assert run("token", "create", COMMUNS_DATABASE_URL=database_url).returncode != 0
    assert run("token", "create", "nobody", COMMUNS_DATABASE_URL=database_url).returncode != 0
    bad = run("actor", "create", "Bad Name", "--name", "X", COMMUNS_DATABASE_URL=database_url)
    assert bad.returncode != 0 and "Traceback" not in bad.stderr


async def test_cli__token_list_and_revoke(database_url: str, client: httpx.AsyncClient) -> None:
    # Given coop with two tokens
    created = run("actor", "create", "coop", "--name", "La Coop", COMMUNS_DATABASE_URL=database_url)
    assert created.returncode == 0, created.stderr
    kept, leaked = (
        run("token", "create", "coop", COMMUNS_DATABASE_URL=database_url).stdout.split()[-1]
        for _ in range(2)
    )

    # When the admin lists coop's tokens and revokes the second one
    listed = run("token", "list", "coop", COMMUNS_DATABASE_URL=database_url)
    assert listed.returncode == 0, listed.stderr
    ids = [line.split("\t")[0] for line in listed.stdout.splitlines()]
    assert len(ids) == 2 and "cm_" not in listed.stdout
    revoked = run("token", "revoke", ids[1], COMMUNS_DATABASE_URL=database_url)
    assert revoked.returncode == 0, revoked.stderr

    # Then the revoked token is refused, the other still works, and the list says which is which
    async def status(token: str) -> int:
        response = await client.get("/api/v1/follows", headers={"Authorization": f"Bearer {token}"})
        return response.status_code

    assert (await status(leaked), await status(kept)) == (401, 200)
    lines = run("token", "list", "coop", COMMUNS_DATABASE_URL=database_url).stdout.splitlines()
    assert ["revoked" in line for line in lines] == [False, True]
    # And an unknown id is one line on stderr
    unknown = run("token", "revoke", "999999", COMMUNS_DATABASE_URL=database_url)
    assert unknown.returncode != 0 and unknown.stderr.strip() == "communs: no token 999999"


async def test_cli__actor_delete(database_url: str, client: httpx.AsyncClient) -> None:
    created = run("actor", "create", "coop", "--name", "La Coop", COMMUNS_DATABASE_URL=database_url)
    assert created.returncode == 0, created.stderr
    # Without --yes, a closed standard input answers no: nothing is deleted
    refused = run("actor", "delete", "coop", COMMUNS_DATABASE_URL=database_url)
    assert refused.returncode != 0
    assert (await client.get("/actors/coop", headers={"Accept": "text/html"})).status_code == 200
    deleted = run("actor", "delete", "coop", "--yes", COMMUNS_DATABASE_URL=database_url)
    assert deleted.returncode == 0, deleted.stderr
    assert (await client.get("/actors/coop", headers={"Accept": "text/html"})).status_code == 410
    again = run("actor", "delete", "coop", "--yes", COMMUNS_DATABASE_URL=database_url)
    assert again.returncode != 0 and "was deleted" in again.stderr
