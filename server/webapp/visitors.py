"""Who is asking: the visitor's session (cookie), account, language and CSRF token, and the
dependencies that demand a signed-in account, a member of an actor, or an admin.

Cookies are ``HttpOnly`` and ``SameSite=Lax``, ``Secure`` (with the ``__Host-`` prefix) on
https. Every POST carries a CSRF token: an HMAC of the session secret when there is one, else
the random value of a CSRF cookie set on the page that holds the form.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, Response

from server.accounts.members import membership
from server.accounts.sessions import find_session
from server.domain.access import Role
from server.domain.actors import get_local_actor
from server.domain.tokens import Principal
from server.errors import Forbidden
from server.http import visits
from server.http.deps import AppState, SessionDep, StateDep
from server.http.visits import csrf_of, page_language
from server.storage.accounts import Account, AccountSession
from server.storage.models import Actor
from server.webapp.rendering import render_html

__all__ = [
    "AdminDep",
    "Member",
    "MemberDep",
    "SignInFirst",
    "SignedInDep",
    "Visitor",
    "VisitorDep",
    "cookie_names",
]


class SignInFirst(Exception):
    """Raised by a page that needs an account; the route answers with a redirect to sign in."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


def cookie_names(state: AppState) -> tuple[str, str]:
    """Return the names of the session and CSRF cookies (``__Host-`` on https)."""
    return visits.cookie_names(state.settings)


@dataclass
class Visitor:
    """One request's visitor, signed in or not."""

    request: Request
    state: AppState
    language: str
    csrf: str
    account: Account | None = None
    session_row: AccountSession | None = None
    #: A session that still waits for its second factor.
    pending: AccountSession | None = None
    #: A CSRF cookie to set on the response (first visit).
    new_csrf_cookie: str | None = None

    def page(self, name: str, context: dict[str, Any], *, status: int = 200) -> HTMLResponse:
        """Render a page for this visitor (instance name, account, language, CSRF token)."""
        settings = self.state.settings
        full = {
            "instance_name": settings.instance_name,
            "account": self.account,
            "csrf": self.csrf,
            "registrations": settings.registrations,
            **context,
        }
        response = render_html(name, full, language=self.language, status=status)
        self.set_cookies(response)
        return response

    def set_cookies(self, response: Response) -> None:
        """Set the CSRF cookie when this visit created it."""
        if self.new_csrf_cookie is not None:
            _, csrf_name = cookie_names(self.state)
            self.set_cookie(response, csrf_name, self.new_csrf_cookie, max_age=None)

    def set_cookie(self, response: Response, name: str, value: str, *, max_age: int | None) -> None:
        """Set a cookie with the flags every cookie of the web app has."""
        response.set_cookie(
            name,
            value,
            max_age=max_age,
            path="/",
            httponly=True,
            samesite="lax",
            secure=self.state.settings.is_https,
        )

    def csrf_is_valid(self, given: str) -> bool:
        """Whether a posted CSRF token is the one this visitor's pages carry."""
        return (
            bool(given) and self.new_csrf_cookie is None and hmac.compare_digest(given, self.csrf)
        )


async def get_visitor(request: Request, state: StateDep, session: SessionDep) -> Visitor:
    """Return the visitor of a request (reading, never writing, its session)."""
    session_name, csrf_name = cookie_names(state)
    secret = request.cookies.get(session_name, "")
    found = await find_session(session, secret, now=state.clock.now()) if secret else None
    account = found[1] if found and found[0].is_verified else None
    language = page_language(request, state.settings.default_language, account)
    new_cookie = None
    if secret:
        csrf = csrf_of(secret)
    else:
        csrf = request.cookies.get(csrf_name, "")
        if len(csrf) < 20:
            csrf = new_cookie = secrets.token_urlsafe(32)
    return Visitor(
        request=request,
        state=state,
        language=language,
        csrf=csrf,
        account=account,
        session_row=found[0] if account and found else None,
        pending=found[0] if found and not found[0].is_verified else None,
        new_csrf_cookie=new_cookie,
    )


VisitorDep = Annotated[Visitor, Depends(get_visitor)]


async def signed_in(visitor: VisitorDep) -> Visitor:
    """Demand a signed-in account (else a redirect to the sign-in page)."""
    if visitor.account is None:
        request = visitor.request
        raise SignInFirst(request.url.path + (f"?{request.url.query}" if request.url.query else ""))
    return visitor


SignedInDep = Annotated[Visitor, Depends(signed_in)]


@dataclass
class Member:
    """A signed-in account acting for one of its actors, with the role it has there."""

    visitor: Visitor
    actor: Actor
    role: str

    @property
    def account(self) -> Account:
        assert self.visitor.account is not None
        return self.visitor.account

    @property
    def principal(self) -> Principal:
        """The same principal an API token of this member has: one rule for forms and API."""
        return Principal(
            token_hash="",
            actor_id=self.actor.id,
            scopes=frozenset({"read", "write"}),
            account_id=self.account.id,
            role=self.role,
        )

    @property
    def is_owner(self) -> bool:
        return self.role == Role.owner

    def page(self, name: str, context: dict[str, Any], *, status: int = 200) -> HTMLResponse:
        """Render a page of the actor's dashboard."""
        return self.visitor.page(
            name, {"actor": self.actor, "role": self.role, **context}, status=status
        )


async def member(username: str, visitor: SignedInDep, session: SessionDep) -> Member:
    """Demand that the account is a member of the actor named in the path (403 otherwise)."""
    actor = await get_local_actor(session, username)
    assert visitor.account is not None and visitor.account.id is not None
    found = await membership(session, visitor.account.id, actor.id or 0)
    if found is None:
        raise Forbidden("you are not a member of this actor")
    return Member(visitor=visitor, actor=actor, role=found.role)


MemberDep = Annotated[Member, Depends(member)]


async def admin(visitor: SignedInDep) -> Visitor:
    """Demand an instance admin (403 otherwise)."""
    assert visitor.account is not None
    if not visitor.account.is_admin:
        raise Forbidden("this page is for the instance's admins")
    return visitor


AdminDep = Annotated[Visitor, Depends(admin)]
