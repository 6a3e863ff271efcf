"""Admin pages: accounts (approval, disabling, invitations), actors (suspension), domain
blocks; registrations are shown as ``COMMUNS_REGISTRATIONS`` sets them."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from schemas.states import DomainBlock
from server.accounts.accounts import list_accounts, normalize_email
from server.accounts.invitations import invite, pending_invitations
from server.domain.moderation import (
    list_domains,
    normalize_host,
    set_domain_block,
    suspend_actor,
    unsuspend_actor,
)
from server.errors import NotFound, ServiceError
from server.http.deps import SessionDep
from server.http.doccache import actor_key
from server.i18n import N_
from server.storage.accounts import Account
from server.storage.models import Actor
from server.webapp.forms import Errors, FormDep, WebRoute, see_other
from server.webapp.members import mail_invitation
from server.webapp.visitors import AdminDep, Visitor

__all__ = ["router"]

router = APIRouter(include_in_schema=False, route_class=WebRoute)
BLOCKS = [
    (DomainBlock.reject, N_("Block")),
    (DomainBlock.silence, N_("Silence")),
    (DomainBlock.none, N_("Lift")),
]
#: What the list of domains says of each.
BLOCK_STATES = {DomainBlock.reject: N_("blocked"), DomainBlock.silence: N_("silenced")}


async def _page(
    visitor: Visitor, session: AsyncSession, errors: Errors, form: dict[str, str]
) -> Response:
    actors = await session.execute(
        select(Actor)
        .where(Actor.is_local == True, Actor.type != "Application", Actor.deleted_at == None)
        .order_by(col(Actor.username))
    )
    context = {
        "accounts": await list_accounts(session),
        "invitations": await pending_invitations(session, now=visitor.state.clock.now()),
        "actors": list(actors.scalars()),
        "domains": await list_domains(session),
        "blocks": BLOCKS,
        "block_states": BLOCK_STATES,
        "errors": errors,
        "form": form,
    }
    return visitor.page("admin.html", context, status=422 if errors else 200)


@router.get("/admin")
async def admin_page(visitor: AdminDep, session: SessionDep) -> Response:
    """Everything an admin manages, on one page."""
    return await _page(visitor, session, {}, {})


@router.post("/admin/accounts/{account_id}/{change}")
async def change_account(
    account_id: int, change: str, visitor: AdminDep, session: SessionDep, form: FormDep
) -> Response:
    """Approve a pending account, disable one, or enable it again."""
    account = await session.get(Account, account_id)
    states = {"approve": "active", "disable": "disabled", "enable": "active"}
    if (
        account is None
        or change not in states
        or account.id == (visitor.account and visitor.account.id)
    ):
        raise NotFound("no such account or change")
    account.status = states[change]
    await session.commit()
    return see_other("/admin#accounts")


@router.post("/admin/invitations")
async def invite_admin(visitor: AdminDep, session: SessionDep, form: FormDep) -> Response:
    """Invite a person as an admin (they sign up through the mailed link)."""
    email = normalize_email(form.get("email", ""))
    if email is None:
        return await _page(visitor, session, {"email": N_("This is not an email address.")}, form)
    assert visitor.account is not None
    secret = await invite(
        session, email=email, is_admin=True, by=visitor.account.id, now=visitor.state.clock.now()
    )
    await session.commit()
    await mail_invitation(visitor, email=email, secret=secret, actor=None)
    return see_other("/admin#accounts")


@router.post("/admin/actors/{username}/{change}")
async def moderate_actor(
    username: str, change: str, visitor: AdminDep, session: SessionDep, form: FormDep
) -> Response:
    """Suspend a local actor, or lift its suspension."""
    if change == "suspend":
        await suspend_actor(session, username)
    elif change == "unsuspend":
        await unsuspend_actor(session, username)
    else:
        raise NotFound("no such change")
    visitor.state.documents.forget(actor_key(username))
    return see_other("/admin#actors")


@router.post("/admin/domains")
async def block_domain(visitor: AdminDep, session: SessionDep, form: FormDep) -> Response:
    """Block, silence or lift a domain (``host[:port]``)."""
    block = form.get("block", "")
    try:
        host = normalize_host(form.get("domain", ""))
        if block not in (DomainBlock.reject, DomainBlock.silence, DomainBlock.none):
            return await _page(visitor, session, {"block": N_("Choose one of the options.")}, form)
        await set_domain_block(session, host, DomainBlock(block), local_domain=visitor.state.domain)
    except ServiceError as error:
        return await _page(visitor, session, {"domain": error.message}, form)
    visitor.state.federation.store.forget_domains()
    return see_other("/admin#domains")
