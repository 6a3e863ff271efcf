"""OAuth 2.0 endpoints: apps register (``POST /api/v1/apps``, as on Mastodon), a member
authorises one for one of its actors and some scopes (``/oauth/authorize``), the app trades
the code and its PKCE verifier for a token (``/oauth/token``) and may revoke it
(``/oauth/revoke``). The member revokes it from the actor's tokens page."""

from __future__ import annotations

import base64
from typing import Annotated, Any
from urllib.parse import urlsplit

from authlib.oauth2 import OAuth2Error
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, Field, StringConstraints, field_validator
from sqlalchemy import select

from server.accounts.codes import digest
from server.accounts.members import actors_of
from server.accounts.oauth import (
    SCOPES,
    Exchange,
    Grant,
    find_app,
    oauth_request,
    register_app,
    revoke_app_token,
    store_code,
    store_token,
)
from server.errors import Forbidden, Invalid
from server.http.deps import SessionDep, StateDep
from server.http.security import content_security_policy
from server.storage.accounts import OAuthApp, OAuthCode
from server.webapp.forms import FormDep, WebRoute
from server.webapp.visitors import SignedInDep, Visitor

__all__ = ["api", "router"]

router = APIRouter(include_in_schema=False, route_class=WebRoute)
api = APIRouter(tags=["oauth"])


class AppCreate(BaseModel):
    client_name: Annotated[
        str, StringConstraints(min_length=1, max_length=200, strip_whitespace=True)
    ]
    redirect_uris: list[str] | str = Field(description="One URI, or several (list or spaces)")
    scopes: str = Field("read", max_length=100, description="read, write, or 'read write'")
    website: Annotated[str, StringConstraints(max_length=2048)] | None = None

    @field_validator("redirect_uris")
    @classmethod
    def _uris(cls, value: list[str] | str) -> list[str]:
        uris = value.split() if isinstance(value, str) else value
        if not 1 <= len(uris) <= 10:
            raise ValueError("give one to ten redirect URIs")
        for uri in uris:
            parts = urlsplit(uri)
            if len(uri) > 2048 or parts.scheme not in ("http", "https") or not parts.hostname:
                raise ValueError(f"not an absolute http(s) URI: {uri[:100]}")
            if parts.fragment:
                raise ValueError("a redirect URI has no fragment")
        return uris

    @field_validator("scopes")
    @classmethod
    def _scopes(cls, value: str) -> str:
        scopes = value.replace(",", " ").split()
        if not scopes or set(scopes) - set(SCOPES):
            raise ValueError("scopes are read and write")
        return " ".join(scopes)


class AppPublic(BaseModel):
    id: int
    name: str
    client_id: str
    client_secret: str
    redirect_uris: list[str]
    scopes: str


@api.post("/api/v1/apps")
async def post_app(body: AppCreate, session: SessionDep) -> AppPublic:
    """Register an app; its ``client_secret`` is shown once (public clients may ignore it and
    rely on PKCE alone)."""
    assert isinstance(body.redirect_uris, list)
    app, secret = await register_app(
        session,
        name=body.client_name,
        redirect_uris=body.redirect_uris,
        scopes=body.scopes.split(),
        website=body.website,
    )
    await session.commit()
    return AppPublic(
        id=app.id or 0,
        name=app.name,
        client_id=app.client_id,
        client_secret=secret,
        redirect_uris=app.redirect_uris,
        scopes=app.scopes,
    )


def _consent(
    visitor: Visitor, request: Request, params: dict[str, str], app: OAuthApp | None
) -> tuple[Exchange, Any]:
    """Validate an authorization request with Authlib; return the exchange and its grant."""
    exchange = Exchange(app=app, now=visitor.state.clock.now())
    try:
        oauth = oauth_request(request.method, str(request.url), params, request.headers)
        grant = exchange.server().get_consent_grant(oauth, end_user=None)
    except OAuth2Error as error:
        raise Invalid(f"{error.error}: {error.description or ''}".strip(": ")) from None
    return exchange, grant


_PARAMS = (
    "response_type",
    "client_id",
    "redirect_uri",
    "scope",
    "state",
    "code_challenge",
    "code_challenge_method",
)


@router.get("/oauth/authorize")
async def authorize_page(request: Request, visitor: SignedInDep, session: SessionDep) -> Response:
    """Ask the member whether the app may act for one of its actors, with the scopes asked."""
    params = {k: v for k, v in request.query_params.items() if k in _PARAMS}
    app = await find_app(session, params.get("client_id", ""))
    _, grant = _consent(visitor, request, params, app)
    assert visitor.account is not None and visitor.account.id is not None
    actors = await actors_of(session, visitor.account.id)
    context = {
        "app": app,
        "params": params,
        "scopes": grant.request.scope.split(),
        "actors": actors,
    }
    page = visitor.page("authorize.html", context)
    # The form's answer redirects to the app: the policy must let the form lead there.
    callback = urlsplit(getattr(grant, "redirect_uri", None) or params.get("redirect_uri", ""))
    targets = [f"{callback.scheme}://{callback.netloc}"] if callback.netloc else []
    page.headers["Content-Security-Policy"] = content_security_policy(form_targets=targets)
    return page


@router.post("/oauth/authorize")
async def authorize(
    request: Request, visitor: SignedInDep, session: SessionDep, form: FormDep
) -> Response:
    """Redirect to the app with a code (approved) or ``access_denied``."""
    params = {k: v for k, v in form.items() if k in _PARAMS}
    app = await find_app(session, params.get("client_id", ""))
    exchange, grant = _consent(visitor, request, params, app)
    assert visitor.account is not None and visitor.account.id is not None
    approved = form.get("decision") == "approve"
    if approved:
        chosen = {a.username: a for a, _ in await actors_of(session, visitor.account.id)}
        actor = chosen.get(form.get("actor", ""))
        if actor is None:
            raise Forbidden("you are not a member of this actor")
        decision = Grant(visitor.account.id, actor.id or 0, grant.request.scope)
    server = exchange.server()
    status, _, headers = server.create_authorization_response(
        grant.request, grant_user=visitor.account.id if approved else None, grant=grant
    )
    if approved and exchange.issued_code is not None:
        await store_code(session, exchange, decision, grant.request)
        await session.commit()
    return RedirectResponse(dict(headers)["Location"], status_code=303 if status == 302 else status)


def _client_id(request: Request, form: dict[str, str]) -> str:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("basic "):
        try:
            decoded = base64.b64decode(header[6:], validate=True).decode()
        except (ValueError, UnicodeDecodeError):
            return ""
        return decoded.partition(":")[0]
    return form.get("client_id", "")


def _json(status: int, body: Any) -> JSONResponse:
    return JSONResponse(
        body, status_code=status, headers={"Cache-Control": "no-store", "Pragma": "no-cache"}
    )


@api.post("/oauth/token")
async def token(request: Request, state: StateDep, session: SessionDep) -> JSONResponse:
    """Trade an authorization code and its PKCE verifier for a bearer token."""
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    app = await find_app(session, _client_id(request, form))
    code = await session.scalar(
        select(OAuthCode).where(OAuthCode.code_hash == digest(form.get("code", "")))
    )
    exchange = Exchange(app=app, now=state.clock.now(), code=code)
    try:
        oauth = oauth_request("POST", str(request.url), form, request.headers)
    except OAuth2Error as error:
        return _json(400, {"error": error.error, "error_description": error.description})
    status, body, _ = exchange.server().create_token_response(oauth)
    if status != 200:
        return _json(status, dict(body))
    if not await store_token(session, exchange):
        return _json(400, {"error": "invalid_grant", "error_description": "Invalid 'code'."})
    await session.commit()
    return _json(200, exchange.token)


@api.post("/oauth/revoke")
async def revoke(request: Request, state: StateDep, session: SessionDep) -> JSONResponse:
    """Revoke a token the app holds (RFC 7009): 200 whether or not it was known."""
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    app = await find_app(session, _client_id(request, form))
    if app is None:
        return _json(401, {"error": "invalid_client"})
    await revoke_app_token(session, app, form.get("token", ""), now=state.clock.now())
    await session.commit()
    return _json(200, {})
