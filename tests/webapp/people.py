"""Helpers of the web app tests: accounts made directly, and forms posted with their CSRF
token read from the page, as a browser does."""

from __future__ import annotations

import re
from typing import Any

import httpx
from fastapi import FastAPI

from server.accounts.accounts import create_account
from server.accounts.members import add_member
from server.domain.access import Role

PASSWORD = "a long enough password"


async def make_account(
    app: FastAPI, email: str, *, member_of: Any = None, role: Role = Role.owner, admin: bool = False
) -> Any:
    """Create a confirmed account with ``PASSWORD``, a member of ``member_of`` when given."""
    state = app.state.communs
    async with state.db.session() as session:
        account = await create_account(
            session, email, password=PASSWORD, confirmed=True, is_admin=admin, now=state.clock.now()
        )
        if member_of is not None:
            await add_member(session, account.id, member_of.id, role)
        await session.commit()
        return account


def csrf_in(html: str) -> str:
    """Return the CSRF token of the first form of a page."""
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "no CSRF token on the page"
    return found.group(1)


async def post_form(
    client: httpx.AsyncClient, page: str, action: str, fields: dict[str, str]
) -> httpx.Response:
    """GET ``page``, then POST ``fields`` to ``action`` with the page's CSRF token."""
    html = (await client.get(page)).text
    return await client.post(action, data={"csrf": csrf_in(html), **fields})


async def sign_in(
    client: httpx.AsyncClient, email: str, password: str = PASSWORD
) -> httpx.Response:
    """Sign in through the form; return the answer (303 on success)."""
    return await post_form(client, "/signin", "/signin", {"email": email, "password": password})
