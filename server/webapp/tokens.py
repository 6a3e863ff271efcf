"""Personal access tokens of a member for one actor, with scopes, and the OAuth apps the
member authorised: created (shown once) and revoked here. Each acts with the member's role."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from server.domain.tokens import issue_token
from server.http.deps import SessionDep
from server.i18n import N_
from server.storage.accounts import OAuthApp
from server.storage.models import ApiToken
from server.webapp.forms import Errors, FormDep, WebRoute, see_other
from server.webapp.visitors import Member, MemberDep

__all__ = ["router"]

router = APIRouter(include_in_schema=False, route_class=WebRoute)


async def _page(
    member: Member, session: AsyncSession, errors: Errors, new_token: str | None = None
) -> Response:
    rows = await session.execute(
        select(ApiToken, OAuthApp.name)
        .outerjoin(OAuthApp, col(OAuthApp.id) == ApiToken.app_id)
        .where(
            ApiToken.account_id == member.account.id,
            ApiToken.actor_id == member.actor.id,
            ApiToken.revoked_at == None,
        )
        .order_by(col(ApiToken.id).desc())
    )
    context = {"tokens": rows.all(), "errors": errors, "new_token": new_token}
    return member.page("tokens.html", context, status=422 if errors else 200)


@router.get("/app/@{username}/tokens")
async def tokens(member: MemberDep, session: SessionDep) -> Response:
    """The member's tokens and authorised apps for this actor."""
    return await _page(member, session, {})


@router.post("/app/@{username}/tokens")
async def create_token(member: MemberDep, session: SessionDep, form: FormDep) -> Response:
    """Create a token (its secret is shown once)."""
    scopes = [scope for scope in ("read", "write") if form.get(f"scope_{scope}") == "true"]
    name = form.get("name", "").strip()
    errors: Errors = {}
    if not scopes:
        errors["scopes"] = N_("Choose at least one scope.")
    if not name or len(name) > 200:
        errors["name"] = N_("This field is required.")
    if errors:
        return await _page(member, session, errors)
    secret = await issue_token(
        session, actor_id=member.actor.id, scopes=scopes, name=name, account_id=member.account.id
    )
    return await _page(member, session, {}, new_token=secret)


@router.post("/app/@{username}/tokens/{token_id}/revoke")
async def revoke(token_id: int, member: MemberDep, session: SessionDep, form: FormDep) -> Response:
    """Revoke a token or an app's grant: refused (401) from now on."""
    await session.execute(
        update(ApiToken)
        .where(
            col(ApiToken.id) == token_id,
            ApiToken.account_id == member.account.id,
            ApiToken.actor_id == member.actor.id,
            ApiToken.revoked_at == None,
        )
        .values(revoked_at=member.visitor.state.clock.now())
    )
    await session.commit()
    return see_other(f"/app/@{member.actor.username}/tokens")
