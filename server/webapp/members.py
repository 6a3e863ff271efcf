"""Members of an actor (owners invite by mail, change roles, remove; the last owner stays),
and joining through an invitation: signing up, or joining with the account signed in."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncSession

from server.accounts.accounts import create_account, find_account, normalize_email
from server.accounts.invitations import (
    accept_invitation,
    find_invitation,
    invite,
    pending_invitations,
)
from server.accounts.mail import send_mail
from server.accounts.members import members_of, membership, remove_member, set_role
from server.domain.access import Role, require_role
from server.errors import Conflict, NotFound
from server.http.deps import SessionDep
from server.i18n import N_, translations
from server.storage.models import Actor
from server.webapp.forms import Errors, FormDep, WebRoute, see_other
from server.webapp.signin import begin_session, password_errors
from server.webapp.visitors import Member, MemberDep, Visitor, VisitorDep

__all__ = ["mail_invitation", "router"]

router = APIRouter(include_in_schema=False, route_class=WebRoute)
ROLES = [(Role.editor, N_("Editor")), (Role.owner, N_("Owner"))]


async def _page(
    member: Member, session: AsyncSession, errors: Errors, form: dict[str, str]
) -> Response:
    now = member.visitor.state.clock.now()
    context = {
        "members": await members_of(session, member.actor.id or 0),
        "invitations": await pending_invitations(session, now=now, actor_id=member.actor.id),
        "roles": ROLES,
        "errors": errors,
        "form": form,
    }
    return member.page("members.html", context, status=422 if errors else 200)


@router.get("/app/@{username}/members")
async def members(member: MemberDep, session: SessionDep) -> Response:
    """The actor's members and invitations (owners)."""
    require_role(member.principal, member.actor, Role.owner)
    return await _page(member, session, {}, {"role": "editor"})


async def mail_invitation(
    visitor: Visitor, *, email: str, secret: str, actor: Actor | None
) -> None:
    """Mail an invitation link, in the inviting person's language."""
    gettext = translations(visitor.language).ugettext
    name = visitor.state.settings.instance_name
    if actor is not None:
        line = gettext("You are invited to publish for %(actor)s.") % {"actor": actor.name}
    else:
        line = gettext("You are invited to administer this instance.")
    url = visitor.state.urls.url(f"/invitations/{secret}")
    within = gettext("Open this link within seven days:")
    body = f"{line}\n\n{within}\n\n{url}\n"
    await send_mail(
        visitor.state.settings, to=email, subject=name + ": " + gettext("Invitation"), body=body
    )


@router.post("/app/@{username}/members")
async def invite_member(member: MemberDep, session: SessionDep, form: FormDep) -> Response:
    """Invite a person by mail, as editor or owner."""
    require_role(member.principal, member.actor, Role.owner)
    email = normalize_email(form.get("email", ""))
    role = form.get("role", "")
    errors: Errors = {} if email else {"email": N_("This is not an email address.")}
    if role not in (Role.owner, Role.editor):
        errors["role"] = N_("Choose one of the options.")
    if errors or email is None:
        return await _page(member, session, errors, form)
    now = member.visitor.state.clock.now()
    secret = await invite(
        session,
        email=email,
        actor_id=member.actor.id,
        role=Role(role),
        by=member.account.id,
        now=now,
    )
    await session.commit()
    await mail_invitation(member.visitor, email=email, secret=secret, actor=member.actor)
    return see_other(f"/app/@{member.actor.username}/members")


@router.post("/app/@{username}/members/{account_id}/{change}")
async def change_member(
    account_id: int, change: str, member: MemberDep, session: SessionDep, form: FormDep
) -> Response:
    """Make a member owner or editor, or remove it; any member may leave."""
    leaving = change == "remove" and account_id == member.account.id
    if not leaving:
        require_role(member.principal, member.actor, Role.owner)
    actor_id = member.actor.id or 0
    try:
        if change == "remove":
            await remove_member(session, account_id, actor_id)
        elif change in (Role.owner, Role.editor):
            found = await membership(session, account_id, actor_id)
            if found is None:
                raise NotFound("no such member")
            await set_role(session, found, Role(change))
        else:
            raise NotFound("no such change")
    except Conflict as error:
        return await _page(member, session, {"form": error.message}, {"role": "editor"})
    await session.commit()
    return see_other("/app" if leaving else f"/app/@{member.actor.username}/members")


@router.get("/invitations/{secret}")
async def invitation_page(secret: str, visitor: VisitorDep, session: SessionDep) -> Response:
    """An invitation: sign up with the invited address, or join with the signed-in account."""
    invitation = await find_invitation(session, secret, now=visitor.state.clock.now())
    if invitation is None:
        raise NotFound(N_("This link is not valid any more."))
    actor = await session.get(Actor, invitation.actor_id) if invitation.actor_id else None
    context: dict[str, object] = {"invitation": invitation, "invited_to": actor, "errors": {}}
    return visitor.page("invitation.html", context | {"action": f"/invitations/{secret}"})


@router.post("/invitations/{secret}")
async def join(secret: str, visitor: VisitorDep, session: SessionDep, form: FormDep) -> Response:
    """Accept the invitation: a new account (its address is confirmed by the mail) or the
    signed-in one becomes a member, or an admin."""
    now = visitor.state.clock.now()
    invitation = await find_invitation(session, secret, now=now)
    if invitation is None:
        raise NotFound(N_("This link is not valid any more."))
    account = visitor.account
    if account is not None:
        account = await session.merge(account)
    else:
        errors = password_errors(form.get("password", ""), form.get("password_again", ""))
        if await find_account(session, invitation.email) is not None:
            errors = {
                "form": N_("This address has an account: sign in first, then open the link again.")
            }
        if errors:
            actor = await session.get(Actor, invitation.actor_id) if invitation.actor_id else None
            context: dict[str, object] = {
                "invitation": invitation,
                "invited_to": actor,
                "errors": errors,
            }
            return visitor.page(
                "invitation.html", context | {"action": f"/invitations/{secret}"}, status=422
            )
        account = await create_account(
            session,
            invitation.email,
            password=form["password"],
            confirmed=True,
            language=visitor.language,
            now=now,
        )
    if not await accept_invitation(session, invitation, account, now=now):
        raise NotFound(N_("This link is not valid any more."))
    await session.commit()
    actor = await session.get(Actor, invitation.actor_id) if invitation.actor_id else None
    target = f"/app/@{actor.username}" if actor else "/app"
    if visitor.account is not None:
        return see_other(target)
    return await begin_session(visitor, session, account, target)
