"""The account's own settings: language, password, second factor, sessions."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncSession

from server.accounts.accounts import set_password
from server.accounts.passwords import verify_password
from server.accounts.sessions import list_sessions, revoke_other_sessions, revoke_session
from server.accounts.totp import disable_totp, enable_totp, new_totp_secret, provisioning_uri
from server.http.deps import SessionDep
from server.i18n import LANGUAGES, N_
from server.storage.accounts import Account
from server.webapp.forms import Errors, FormDep, WebRoute, see_other
from server.webapp.signin import password_errors
from server.webapp.visitors import SignedInDep, Visitor

__all__ = ["router"]

router = APIRouter(include_in_schema=False, route_class=WebRoute)


async def _page(
    visitor: Visitor,
    session: AsyncSession,
    errors: Errors,
    *,
    extra: dict[str, object] | None = None,
) -> Response:
    assert visitor.account is not None and visitor.account.id is not None
    now = visitor.state.clock.now()
    context = {
        "sessions": await list_sessions(session, visitor.account.id, now=now),
        "current_session": visitor.session_row.id if visitor.session_row else None,
        "errors": errors,
        "languages": [("", N_("The browser's language")), ("fr", "Français"), ("en", "English")],
        **(extra or {}),
    }
    return visitor.page("account.html", context, status=422 if errors else 200)


async def _mine(visitor: Visitor, session: AsyncSession) -> Account:
    assert visitor.account is not None
    return await session.merge(visitor.account)


@router.get("/account")
async def account_page(visitor: SignedInDep, session: SessionDep) -> Response:
    """Language, password, second factor and sessions of the signed-in account."""
    return await _page(visitor, session, {})


@router.post("/account/language")
async def save_language(visitor: SignedInDep, session: SessionDep, form: FormDep) -> Response:
    """Choose the language of the pages (empty: the browser's)."""
    language = form.get("language", "")
    account = await _mine(visitor, session)
    account.language = language if language in LANGUAGES else None
    await session.commit()
    return see_other("/account")


@router.post("/account/password")
async def change_password(visitor: SignedInDep, session: SessionDep, form: FormDep) -> Response:
    """Change the password (the current one is asked when there is one); other sessions end."""
    account = await _mine(visitor, session)
    errors = password_errors(form.get("password", ""), form.get("password_again", ""))
    if account.password_hash and not await verify_password(
        account.password_hash, form.get("current_password", "")
    ):
        errors["current_password"] = N_("This is not your current password.")
    if errors:
        return await _page(visitor, session, errors)
    now = visitor.state.clock.now()
    await set_password(session, account, form["password"], now=now)
    keep = visitor.session_row.id if visitor.session_row else None
    await revoke_other_sessions(session, account.id or 0, keep=keep, now=now)
    await session.commit()
    return see_other("/account")


@router.post("/account/totp/start")
async def start_totp(visitor: SignedInDep, session: SessionDep, form: FormDep) -> Response:
    """Show a new secret to add to an authenticator app, and ask for a code from it."""
    assert visitor.account is not None
    secret = new_totp_secret()
    uri = provisioning_uri(
        secret, email=visitor.account.email, issuer=visitor.state.settings.instance_name
    )
    return await _page(visitor, session, {}, extra={"totp_secret": secret, "totp_uri": uri})


@router.post("/account/totp")
async def confirm_totp(visitor: SignedInDep, session: SessionDep, form: FormDep) -> Response:
    """Turn the second factor on with a first code; the recovery codes are shown once."""
    account = await _mine(visitor, session)
    secret = form.get("secret", "")
    codes = await enable_totp(
        session, account, secret, form.get("code", ""), now=visitor.state.clock.now()
    )
    if codes is None:
        uri = provisioning_uri(
            secret, email=account.email, issuer=visitor.state.settings.instance_name
        )
        extra = {"totp_secret": secret, "totp_uri": uri}
        return await _page(visitor, session, {"code": N_("This code is not valid.")}, extra=extra)
    await session.commit()
    return await _page(visitor, session, {}, extra={"recovery_codes": codes})


@router.post("/account/totp/disable")
async def turn_off_totp(visitor: SignedInDep, session: SessionDep, form: FormDep) -> Response:
    """Turn the second factor off (the password is asked again)."""
    account = await _mine(visitor, session)
    if not await verify_password(account.password_hash, form.get("disable_password", "")):
        return await _page(
            visitor, session, {"disable_password": N_("This is not your current password.")}
        )
    await disable_totp(session, account)
    await session.commit()
    return see_other("/account")


@router.post("/account/sessions/{session_id}/revoke")
async def end_session(
    session_id: int, visitor: SignedInDep, session: SessionDep, form: FormDep
) -> Response:
    """Sign a session out (a browser elsewhere)."""
    assert visitor.account is not None and visitor.account.id is not None
    await revoke_session(session, visitor.account.id, session_id, now=visitor.state.clock.now())
    return see_other("/account")
