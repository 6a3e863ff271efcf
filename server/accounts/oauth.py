"""OAuth 2.0 for third-party apps: authorization code with PKCE (RFC 6749, RFC 7636), through
Authlib's ``AuthorizationServer``.

Authlib's server is synchronous, so each request is prepared first: the app and the code are
read from the database, a server is built around them (``Exchange``), Authlib validates and
answers, and what it issued (a code, a token) is written afterwards. A code works once, for ten
minutes; the token it gives belongs to the member who authorised the app, for one actor.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, ClassVar

from authlib.oauth2.rfc6749 import (
    AuthorizationCodeMixin,
    AuthorizationServer,
    ClientMixin,
    OAuth2Request,
)
from authlib.oauth2.rfc6749.errors import InvalidRequestError
from authlib.oauth2.rfc6749.grants import AuthorizationCodeGrant
from authlib.oauth2.rfc6749.requests import BasicOAuth2Payload
from authlib.oauth2.rfc7636 import CodeChallenge
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from server.accounts.codes import digest, new_secret
from server.domain.tokens import hash_token, issue_token, new_token_secret
from server.storage.accounts import OAuthApp, OAuthCode
from server.storage.db import affected
from server.storage.models import ApiToken

__all__ = [
    "CODE_LIFETIME",
    "SCOPES",
    "Exchange",
    "Grant",
    "find_app",
    "oauth_request",
    "register_app",
    "revoke_app_token",
    "store_code",
    "store_token",
]

SCOPES = ("read", "write")
CODE_LIFETIME = timedelta(minutes=10)


async def register_app(
    session: AsyncSession,
    *,
    name: str,
    redirect_uris: list[str],
    scopes: list[str],
    website: str | None = None,
) -> tuple[OAuthApp, str]:
    """Store an app and return it with its client secret (shown once); the caller commits."""
    secret = new_secret()
    app = OAuthApp(
        client_id=new_secret()[:32],
        client_secret_hash=digest(secret),
        name=name,
        website=website,
        redirect_uris=redirect_uris,
        scopes=" ".join(s for s in SCOPES if s in scopes),
    )
    session.add(app)
    await session.flush()
    return app, secret


async def find_app(session: AsyncSession, client_id: str) -> OAuthApp | None:
    """Return the app of a client id, or None."""
    found: OAuthApp | None = await session.scalar(
        select(OAuthApp).where(OAuthApp.client_id == client_id[:64])
    )
    return found


class _Client(ClientMixin):  # type: ignore[misc]
    """An app as Authlib sees it; public clients (no secret) are allowed, PKCE is required."""

    def __init__(self, app: OAuthApp) -> None:
        self.app = app

    def get_client_id(self) -> str:
        return self.app.client_id

    def get_default_redirect_uri(self) -> str:
        return self.app.redirect_uris[0]

    def get_allowed_scope(self, scope: str | None) -> str:
        allowed = self.app.scopes.split()
        return " ".join(s for s in (scope or "").split() if s in allowed)

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri in self.app.redirect_uris

    def check_client_secret(self, client_secret: str) -> bool:
        return hmac.compare_digest(digest(client_secret), self.app.client_secret_hash)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method in ("client_secret_basic", "client_secret_post", "none")

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type == "authorization_code"


@dataclass
class _Code(AuthorizationCodeMixin):  # type: ignore[misc]
    row: OAuthCode

    @property
    def code_challenge(self) -> str:
        return self.row.code_challenge

    @property
    def code_challenge_method(self) -> str:
        return self.row.code_challenge_method

    def get_redirect_uri(self) -> str:
        return self.row.redirect_uri

    def get_scope(self) -> str:
        return self.row.scopes


class _S256Required(CodeChallenge):  # type: ignore[misc]
    """PKCE for every app, confidential or not, with S256 only (``plain`` reveals the secret)."""

    SUPPORTED_CODE_CHALLENGE_METHOD: ClassVar[list[str]] = ["S256"]

    def validate_code_challenge(self, grant: AuthorizationCodeGrant, redirect_uri: str) -> None:
        data = grant.request.payload.data
        if not data.get("code_challenge"):
            raise InvalidRequestError("Missing 'code_challenge'")
        if data.get("code_challenge_method") != "S256":
            raise InvalidRequestError("'code_challenge_method' must be S256")
        super().validate_code_challenge(grant, redirect_uri)


class _CodeGrant(AuthorizationCodeGrant):  # type: ignore[misc]
    TOKEN_ENDPOINT_AUTH_METHODS: ClassVar[list[str]] = [
        "client_secret_basic",
        "client_secret_post",
        "none",
    ]

    def save_authorization_code(self, code: str, request: OAuth2Request) -> None:
        self.server.exchange.issued_code = code

    def query_authorization_code(self, code: str, client: _Client) -> _Code | None:
        row = self.server.exchange.code
        if row is None or not hmac.compare_digest(row.code_hash, digest(code)):
            return None
        if row.app_id != client.app.id or row.used_at is not None:
            return None
        if row.expires_at <= self.server.exchange.now:
            return None
        return _Code(row)

    def delete_authorization_code(self, authorization_code: _Code) -> None:
        self.server.exchange.spent_code = authorization_code.row

    def authenticate_user(self, authorization_code: _Code) -> int:
        return authorization_code.row.account_id


@dataclass
class Exchange:
    """One OAuth request, prepared: the app and code it names, read beforehand, and what
    Authlib issued, written afterwards."""

    app: OAuthApp | None
    now: datetime
    code: OAuthCode | None = None
    issued_code: str | None = None
    spent_code: OAuthCode | None = None
    token: dict[str, Any] = field(default_factory=dict)

    def server(self) -> AuthorizationServer:
        """Return an Authlib server that knows this exchange's app and code only."""
        exchange = self

        class Server(AuthorizationServer):  # type: ignore[misc]
            def query_client(self, client_id: str) -> _Client | None:
                app = exchange.app
                return _Client(app) if app is not None and app.client_id == client_id else None

            def save_token(self, token: dict[str, Any], request: OAuth2Request) -> None:
                exchange.token = token

            def handle_response(
                self, status: int, body: Any, headers: list[tuple[str, str]]
            ) -> tuple[int, Any, list[tuple[str, str]]]:
                return status, body, headers

            def send_signal(self, name: str, *args: Any, **kwargs: Any) -> None:
                pass

            def create_oauth2_request(self, request: OAuth2Request) -> OAuth2Request:
                return request

        server = Server(scopes_supported=list(SCOPES))
        server.exchange = exchange
        server.register_grant(_CodeGrant, [_S256Required(required=True)])
        server.register_token_generator("default", _generate_token)
        return server


def _generate_token(
    grant_type: str, client: _Client, user: int, scope: str, **_: Any
) -> dict[str, Any]:
    return {"token_type": "Bearer", "access_token": new_token_secret(), "scope": scope}


@dataclass
class Grant:
    """What a member decided on the consent page."""

    account_id: int
    actor_id: int
    scopes: str


class _Request(OAuth2Request):  # type: ignore[misc]
    def __init__(self, method: str, uri: str, params: dict[str, str], headers: Any) -> None:
        super().__init__(method, uri, headers=headers)
        self.payload = BasicOAuth2Payload(params)
        self._params = params

    @property
    def args(self) -> dict[str, str]:
        return self._params

    @property
    def form(self) -> dict[str, str]:
        return self._params


def oauth_request(method: str, uri: str, params: dict[str, str], headers: Any) -> OAuth2Request:
    """Return the request Authlib reads: the query or form parameters, and the headers.

    Raises Authlib's ``InsecureTransportError`` for plain http other than on loopback.
    """
    return _Request(method, uri, params, headers)


async def store_code(
    session: AsyncSession, exchange: Exchange, grant: Grant, request: OAuth2Request
) -> None:
    """Write the code Authlib issued for ``grant``; the caller commits."""
    assert exchange.issued_code is not None and exchange.app is not None
    params = request.payload.data
    session.add(
        OAuthCode(
            code_hash=digest(exchange.issued_code),
            app_id=exchange.app.id or 0,
            account_id=grant.account_id,
            actor_id=grant.actor_id,
            scopes=grant.scopes,
            redirect_uri=params.get("redirect_uri") or exchange.app.redirect_uris[0],
            code_challenge=params.get("code_challenge", ""),
            code_challenge_method=params.get("code_challenge_method") or "plain",
            created_at=exchange.now,
            expires_at=exchange.now + CODE_LIFETIME,
        )
    )


async def store_token(session: AsyncSession, exchange: Exchange) -> bool:
    """Spend the code and write the token Authlib issued; False if the code was spent
    meanwhile (then nothing is written). The caller commits."""
    code = exchange.spent_code
    assert code is not None and exchange.app is not None
    spent = await session.execute(
        update(OAuthCode)
        .where(col(OAuthCode.id) == code.id, OAuthCode.used_at == None)
        .values(used_at=exchange.now)
    )
    if not affected(spent):
        return False
    await issue_token(
        session,
        actor_id=code.actor_id,
        scopes=code.scopes.split(),
        name=exchange.app.name,
        account_id=code.account_id,
        app_id=exchange.app.id,
        secret=exchange.token["access_token"],
    )
    return True


async def revoke_app_token(
    session: AsyncSession, app: OAuthApp, token: str, *, now: datetime
) -> None:
    """Revoke a token the app holds (RFC 7009: unknown tokens are not an error)."""
    await session.execute(
        update(ApiToken)
        .where(
            ApiToken.token_hash == hash_token(token),
            ApiToken.app_id == app.id,
            ApiToken.revoked_at == None,
        )
        .values(revoked_at=now)
    )
