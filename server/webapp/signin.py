"""Signing in and out: password, second factor, single-use sign-in links, sign-up (as
``COMMUNS_REGISTRATIONS`` allows), email confirmation and password reset by mail."""

from __future__ import annotations

import logging

from fastapi import APIRouter
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncSession

from server.accounts.accounts import (
    create_account,
    find_account,
    normalize_email,
    set_password,
    sign_in,
)
from server.accounts.links import LinkPurpose, issue_link, use_link
from server.accounts.mail import send_mail
from server.accounts.passwords import check_password
from server.accounts.sessions import (
    LIFETIME,
    open_session,
    revoke_other_sessions,
    revoke_session,
    verify_session,
)
from server.accounts.totp import check_second_factor
from server.errors import Conflict, NotFound
from server.http.deps import SessionDep
from server.http.visits import local_path
from server.i18n import N_, translations
from server.storage.accounts import Account
from server.webapp.forms import Errors, FormDep, WebRoute, see_other
from server.webapp.visitors import Visitor, VisitorDep, cookie_names

__all__ = ["begin_session", "password_errors", "router", "send_link"]

router = APIRouter(include_in_schema=False, route_class=WebRoute)
log = logging.getLogger("communs.accounts")

_PASSWORD_ERRORS = {
    "too_short": N_("At least 10 characters."),
    "too_long": N_("At most 1024 characters."),
}


def _next(path: str | None) -> str:
    """Return a local path to go to after signing in (never another site)."""
    return local_path(path, "/app")


async def begin_session(
    visitor: Visitor, session: AsyncSession, account: Account, next_path: str
) -> Response:
    """Open a session for ``account`` and set its cookie; the second factor comes next if set."""
    verified = account.totp_enabled_at is None
    request = visitor.request
    secret = await open_session(
        session,
        account,
        now=visitor.state.clock.now(),
        verified=verified,
        user_agent=request.headers.get("user-agent", ""),
        ip=request.client.host if request.client else "",
    )
    if visitor.session_row is not None or visitor.pending is not None:
        old = visitor.session_row or visitor.pending
        assert old is not None and old.id is not None
        await revoke_session(session, old.account_id, old.id, now=visitor.state.clock.now())
    await session.commit()
    target = next_path if verified else "/signin/second-factor?next=" + next_path
    response = see_other(target)
    session_name, _ = cookie_names(visitor.state)
    visitor.set_cookie(response, session_name, secret, max_age=int(LIFETIME.total_seconds()))
    return response


@router.get("/signin")
async def signin_page(visitor: VisitorDep, next: str | None = None) -> Response:
    """The sign-in form."""
    return visitor.page("signin.html", {"next": _next(next), "errors": {}, "email": ""})


@router.post("/signin")
async def signin(visitor: VisitorDep, session: SessionDep, form: FormDep) -> Response:
    """Check the password (throttled), then go on to the second factor or the app."""
    email = form.get("email", "").strip()
    next_path = _next(form.get("next"))
    request = visitor.request
    result = await sign_in(
        session,
        email=email,
        password=form.get("password", ""),
        ip=request.client.host if request.client else "",
        now=visitor.state.clock.now(),
    )
    if result.reason == "ok" and result.account is not None:
        return await begin_session(visitor, session, result.account, next_path)
    messages = {
        "wrong": N_("Wrong email or password."),
        "unconfirmed": N_("Confirm your email address first: we sent you a link."),
        "pending": N_("Your account waits for an admin's approval."),
        "disabled": N_("This account is disabled."),
    }
    if result.reason == "throttled":
        minutes = max(1, int((result.wait.total_seconds() + 59) // 60))
        message = translations(visitor.language).ungettext(
            "Too many failed attempts. Try again in %(n)d minute.",
            "Too many failed attempts. Try again in %(n)d minutes.",
            minutes,
        ) % {"n": minutes}
    else:
        message = messages[result.reason]
    context = {"next": next_path, "errors": {"form": message}, "email": email}
    return visitor.page("signin.html", context, status=429 if result.reason == "throttled" else 401)


@router.get("/signin/second-factor")
async def second_factor_page(visitor: VisitorDep, next: str | None = None) -> Response:
    """The second-factor form, for a session that passed its password."""
    if visitor.pending is None:
        return see_other("/signin")
    return visitor.page("second_factor.html", {"next": _next(next), "errors": {}})


@router.post("/signin/second-factor")
async def second_factor(visitor: VisitorDep, session: SessionDep, form: FormDep) -> Response:
    """Accept a TOTP or recovery code; the session then becomes a full one."""
    pending = visitor.pending
    if pending is None:
        return see_other("/signin")
    pending = await session.merge(pending)
    account = await session.get(Account, pending.account_id)
    assert account is not None
    now = visitor.state.clock.now()
    next_path = _next(form.get("next"))
    if not await check_second_factor(session, account, form.get("code", ""), now=now):
        await session.commit()
        errors: Errors = {"code": N_("This code is not valid.")}
        return visitor.page("second_factor.html", {"next": next_path, "errors": errors}, status=401)
    await verify_session(session, pending, now=now)
    await session.commit()
    return see_other(next_path)


@router.post("/signout")
async def signout(visitor: VisitorDep, session: SessionDep, form: FormDep) -> Response:
    """Revoke this session: its cookie is refused from now on, even if copied."""
    row = visitor.session_row or visitor.pending
    if row is not None and row.id is not None:
        await revoke_session(session, row.account_id, row.id, now=visitor.state.clock.now())
    response = see_other("/signin")
    response.delete_cookie(cookie_names(visitor.state)[0], path="/")
    return response


async def send_link(
    visitor: Visitor, session: AsyncSession, account: Account, purpose: LinkPurpose
) -> None:
    """Mail ``account`` a single-use link (confirmation or reset), in the visitor's language."""
    secret = await issue_link(session, account, purpose, now=visitor.state.clock.now())
    await session.commit()
    gettext = translations(visitor.language).ugettext
    path = {LinkPurpose.confirm: "/confirm/", LinkPurpose.reset: "/password/reset/"}[purpose]
    url = visitor.state.urls.url(path + secret)
    if purpose == LinkPurpose.confirm:
        subject = gettext("Confirm your email address")
        body = gettext("Open this link to confirm your address and sign in:")
    else:
        subject = gettext("Reset your password")
        body = gettext("Open this link within an hour to choose a new password:")
    name = visitor.state.settings.instance_name
    await send_mail(
        visitor.state.settings,
        to=account.email,
        subject=f"{name}: {subject}",
        body=f"{body}\n\n{url}\n",
    )


@router.get("/signin/link/{secret}")
async def link_page(secret: str, visitor: VisitorDep) -> Response:
    """A sign-in link (printed by ``communs account create``): one button spends it (a GET
    never does, so link previews cannot)."""
    return visitor.page("link.html", {"action": f"/signin/link/{secret}"})


@router.post("/signin/link/{secret}")
async def use_signin_link(
    secret: str, visitor: VisitorDep, session: SessionDep, form: FormDep
) -> Response:
    """Sign in with a single-use link; an account without a password chooses one next."""
    now = visitor.state.clock.now()
    account = await use_link(session, secret, LinkPurpose.signin, now=now)
    if account is None:
        raise NotFound(N_("This link is not valid any more."))
    account.email_confirmed_at = account.email_confirmed_at or now
    target = "/account#password" if account.password_hash is None else "/app"
    return await begin_session(visitor, session, account, target)


@router.get("/confirm/{secret}")
async def confirm_page(secret: str, visitor: VisitorDep) -> Response:
    """Confirm an email address (the button spends the link)."""
    return visitor.page("link.html", {"action": f"/confirm/{secret}"})


@router.post("/confirm/{secret}")
async def confirm(secret: str, visitor: VisitorDep, session: SessionDep, form: FormDep) -> Response:
    """Mark the address confirmed and sign in."""
    now = visitor.state.clock.now()
    account = await use_link(session, secret, LinkPurpose.confirm, now=now)
    if account is None:
        raise NotFound(N_("This link is not valid any more."))
    account.email_confirmed_at = now
    await session.commit()
    if account.status != "active":
        return _message(
            visitor, N_("Address confirmed"), N_("Your account waits for an admin's approval.")
        )
    return await begin_session(visitor, session, account, "/app")


def _message(visitor: Visitor, title: str, line: str) -> Response:
    gettext = translations(visitor.language).ugettext
    return visitor.page("message.html", {"title": gettext(title), "lines": [gettext(line)]})


def password_errors(password: str, again: str) -> Errors:
    """Return what is wrong with a new password and its repetition."""
    problem = check_password(password)
    if problem is not None:
        return {"password": _PASSWORD_ERRORS[problem]}
    if password != again:
        return {"password_again": N_("The two passwords differ.")}
    return {}


@router.get("/signup")
async def signup_page(visitor: VisitorDep) -> Response:
    """Sign up, when registrations are open or go through approval."""
    if visitor.state.settings.registrations == "closed":
        return _message(
            visitor, N_("Sign up"), N_("Registrations are closed: ask an admin for an invitation.")
        )
    return visitor.page("signup.html", {"errors": {}, "email": ""})


@router.post("/signup")
async def signup(visitor: VisitorDep, session: SessionDep, form: FormDep) -> Response:
    """Create an account and mail its confirmation link."""
    settings = visitor.state.settings
    if settings.registrations == "closed":
        return _message(
            visitor, N_("Sign up"), N_("Registrations are closed: ask an admin for an invitation.")
        )
    email = normalize_email(form.get("email", ""))
    errors: Errors = {} if email else {"email": N_("This is not an email address.")}
    errors |= password_errors(form.get("password", ""), form.get("password_again", ""))
    if not errors and email:
        try:
            account = await create_account(
                session,
                email,
                password=form["password"],
                status="active" if settings.registrations == "open" else "pending",
                language=visitor.language,
                now=visitor.state.clock.now(),
            )
        except Conflict:
            errors = {"email": N_("An account with this email already exists.")}
        else:
            await send_link(visitor, session, account, LinkPurpose.confirm)
            return _message(
                visitor, N_("Check your mail"), N_("We sent you a link to confirm your address.")
            )
    return visitor.page(
        "signup.html", {"errors": errors, "email": form.get("email", "")}, status=422
    )


@router.get("/password/forgot")
async def forgot_page(visitor: VisitorDep) -> Response:
    """Ask for a password-reset link."""
    return visitor.page("forgot.html", {"errors": {}})


@router.post("/password/forgot")
async def forgot(visitor: VisitorDep, session: SessionDep, form: FormDep) -> Response:
    """Mail a reset link if the address has an account (the answer is the same either way)."""
    account = await find_account(session, form.get("email", ""))
    if account is not None and account.status == "active":
        await send_link(visitor, session, account, LinkPurpose.reset)
    return _message(
        visitor, N_("Check your mail"), N_("If this address has an account, we sent it a link.")
    )


@router.get("/password/reset/{secret}")
async def reset_page(secret: str, visitor: VisitorDep) -> Response:
    """Choose a new password with a reset link."""
    return visitor.page("reset.html", {"errors": {}, "action": f"/password/reset/{secret}"})


@router.post("/password/reset/{secret}")
async def reset(secret: str, visitor: VisitorDep, session: SessionDep, form: FormDep) -> Response:
    """Set the new password, sign out every other session, and sign in."""
    errors = password_errors(form.get("password", ""), form.get("password_again", ""))
    if errors:
        context = {"errors": errors, "action": f"/password/reset/{secret}"}
        return visitor.page("reset.html", context, status=422)
    now = visitor.state.clock.now()
    account = await use_link(session, secret, LinkPurpose.reset, now=now)
    if account is None:
        raise NotFound(N_("This link is not valid any more."))
    await set_password(session, account, form["password"], now=now)
    assert account.id is not None
    await revoke_other_sessions(session, account.id, keep=None, now=now)
    account.email_confirmed_at = account.email_confirmed_at or now
    return await begin_session(visitor, session, account, "/app")
