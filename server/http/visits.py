"""Who is visiting, as every page for people reads it: the cookies' names, the signed-in
account of a session cookie, the CSRF token bound to it, and the language of the page.

The web app and the public pages both need these; they live here so neither copies the
other's rules (a form on a public page posts to the web app with the same token).
"""

from __future__ import annotations

import hashlib
import hmac
from http.cookies import CookieError, SimpleCookie

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request

from server.accounts.sessions import find_session
from server.clock import Clock
from server.i18n import LANGUAGES, negotiate
from server.settings import Settings
from server.storage.accounts import Account, AccountSession

__all__ = [
    "LANGUAGE_COOKIE",
    "chosen_language",
    "cookie_names",
    "csrf_of",
    "local_path",
    "only_language_cookie",
    "page_language",
    "session_of",
    "session_secret",
]

#: A visitor's choice of language (the switcher of the pages), kept a year.
LANGUAGE_COOKIE = "communs_lang"


def cookie_names(settings: Settings) -> tuple[str, str]:
    """Return the names of the session and CSRF cookies (``__Host-`` on https)."""
    prefix = "__Host-" if settings.is_https else ""
    return f"{prefix}communs_session", f"{prefix}communs_csrf"


def csrf_of(session_secret: str) -> str:
    """Return the CSRF token bound to a session secret."""
    return hmac.new(session_secret.encode(), b"csrf", hashlib.sha256).hexdigest()


def session_secret(request: Request, settings: Settings) -> str:
    """Return the secret of the request's session cookie ("" without one)."""
    return request.cookies.get(cookie_names(settings)[0], "")


async def session_of(
    request: Request, settings: Settings, session: AsyncSession, clock: Clock
) -> tuple[AccountSession, Account] | None:
    """Return the live session of the request's cookie and its account, if any."""
    secret = session_secret(request, settings)
    return await find_session(session, secret, now=clock.now()) if secret else None


def chosen_language(request: Request) -> str | None:
    """Return the language a visitor chose on the pages (``?lang=``, else its cookie)."""
    for asked in (request.query_params.get("lang"), request.cookies.get(LANGUAGE_COOKIE)):
        if asked in LANGUAGES:
            return asked
    return None


def page_language(request: Request, default: str, account: Account | None = None) -> str:
    """Return the language of a page: the visitor's choice on the pages, else the account's,
    else the browser's ``Accept-Language``, else ``default``."""
    return negotiate(
        chosen=chosen_language(request) or (account.language if account else None),
        accept_language=request.headers.get("accept-language", ""),
        default=default,
    )


def local_path(path: str | None, default: str) -> str:
    """Return ``path`` when it stays on this site (a form's or a link's ``next``), else
    ``default``: never an open redirect to another site."""
    if path and path.startswith("/") and not path.startswith("//") and "\\" not in path:
        return path
    return default


def only_language_cookie(header: str) -> bool:
    """Whether a ``Cookie`` header holds nothing but the language choice: such a visitor sees
    the same page as anyone asking in that language."""
    cookie: SimpleCookie = SimpleCookie()
    try:
        cookie.load(header)
    except CookieError:
        return False
    return set(cookie) <= {LANGUAGE_COOKIE}
