"""Actors' profile pages, and following them from the page.

A visitor types their own handle; their server's WebFinger says where they follow someone
(``federation.webfinger.follow_template``), and they are sent there with our actor's id. A
signed-in member follows as one of their actors in one click: the button posts to the web
app's follow form, with its CSRF token.
"""

from __future__ import annotations

from datetime import date
from urllib.parse import quote

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import Response

from federation.errors import FetchError, WebFingerError
from federation.webfinger import NoFollowTemplate, follow_template, parse_handle
from server.domain.actors import follow_counts, region_label
from server.domain.figures import effective_status
from server.domain.funding import funding_calls_of
from server.domain.lookup import Finder
from server.domain.projects import projects_of
from server.http.security import content_security_policy
from server.i18n import N_
from server.pages.templating import Reader, reader_of, render_page
from server.settings import Settings
from server.storage.models import Actor

__all__ = ["remote_follow", "render_profile"]


async def render_profile(
    request: Request,
    settings: Settings,
    session: AsyncSession,
    actor: Actor,
    *,
    today: date,
    reader: Reader | None = None,
    handle: str = "",
    error: str | None = None,
) -> Response:
    """Render an actor's profile page (served at ``/@name`` and, for browsers, at its id),
    with the follow form (``error`` says why the handle typed could not be used)."""
    assert actor.id is not None
    reader = reader or await reader_of(request, session)
    followers, following = await follow_counts(session, actor.id)
    context = {
        "actor": actor,
        "region": region_label(actor.region, language=reader.language),
        "feed_url": f"/feeds/actors/{actor.username}.atom",
        "followers": followers,
        "following": following,
        "projects": await projects_of(session, actor.id),
        "calls": await funding_calls_of(session, actor_id=actor.id),
        "call_status": lambda call: effective_status(call, today),
        "members_of_others": [a for a in reader.owned if a.id != actor.id],
        "handle": handle,
        "error": error,
    }
    response = render_page(
        request, settings, reader, "profile.html", context, status=422 if error else 200
    )
    response.headers["Link"] = f'<{actor.uri}>; rel="alternate"; type="application/activity+json"'
    # The follow form leads to the visitor's own server, whichever it is
    others = ("https:", "http:") if settings.allow_private_networks else ("https:",)
    response.headers["Content-Security-Policy"] = content_security_policy(form_targets=others)
    return response


async def remote_follow(finder: Finder, actor: Actor, handle: str) -> str:
    """Return where the owner of ``handle`` follows ``actor`` from their own server.

    Raises ``ValueError`` with the message for people (translated where shown).
    """
    try:
        parse_handle(handle)
    except WebFingerError:
        raise ValueError(
            N_("This is not a fediverse handle: type yours like @name@example.org.")
        ) from None
    try:
        template = await follow_template(finder.fetcher, handle, insecure_http=finder.insecure_http)
    except NoFollowTemplate:
        raise ValueError(
            N_(
                "Your server does not offer to follow from another site: search for this "
                "actor's handle in your server instead."
            )
        ) from None
    except WebFingerError as exc:
        if isinstance(exc.__cause__, FetchError):
            raise ValueError(
                N_(
                    "Your server could not be reached, or does not know this handle. Check it "
                    "and try again."
                )
            ) from None
        raise ValueError(
            N_("Your server did not answer as a fediverse server does. Check the handle.")
        ) from None
    return template.replace("{uri}", quote(actor.uri, safe=""))
