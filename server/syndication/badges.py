"""SVG badges for READMEs and web pages: a call's progress, a project's users.

Flat two-part badges (label, message) drawn as plain SVG text, with no script and no external
reference, cacheable for five minutes (and revalidated by ETag). A badge is written in the
language of ``?lang=`` (the page that shows it adds its own), else in its actor's language:
never in the browser's, so that a README shows every reader the same picture.
"""

from __future__ import annotations

from xml.sax.saxutils import escape

from fastapi import APIRouter, Request
from fastapi.responses import Response

from schemas.states import FundingStatus
from server.domain.badges import call_badge, project_badge
from server.domain.funding import get_funding_call
from server.domain.projects import get_project
from server.errors import NotFound
from server.http.deps import SessionDep, StateDep
from server.http.etags import with_etag
from server.i18n import translations
from server.syndication.languages import picture_language

__all__ = ["badge_svg", "router"]

router = APIRouter(include_in_schema=False)

_HEADERS = {"Cache-Control": "public, max-age=300", "Access-Control-Allow-Origin": "*"}
#: Average advance of an 11 px sans-serif glyph, and the padding around each part.
_CHAR, _PAD = 6.6, 10
_COLORS = {"open": "#2e7d32", "funded": "#1565c0", "closed": "#616161", "cancelled": "#9e9e9e"}


def _width(text: str) -> int:
    return round(len(text) * _CHAR) + 2 * _PAD


def badge_svg(label: str, message: str, *, color: str) -> bytes:
    """Return a flat badge: ``label`` on grey, ``message`` on ``color``."""
    left, right = _width(label), _width(message)
    total = left + right
    label_x, message_x = left / 2, left + right / 2
    text, alt = escape(message), escape(f"{label}: {message}", {'"': "&quot;"})
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{total}" height="20" role="img" '
        f'aria-label="{alt}"><title>{escape(label)}: {text}</title>'
        f'<rect width="{left}" height="20" fill="#555"/>'
        f'<rect x="{left}" width="{right}" height="20" fill="{color}"/>'
        '<g fill="#fff" text-anchor="middle" font-family="Verdana,DejaVu Sans,sans-serif" '
        'font-size="11">'
        f'<text x="{label_x}" y="14">{escape(label)}</text>'
        f'<text x="{message_x}" y="14">{text}</text></g></svg>'
    )
    return svg.encode()


def _svg(request: Request, body: bytes) -> Response:
    return with_etag(request, Response(body, media_type="image/svg+xml", headers=_HEADERS))


@router.get("/badges/funding-calls/{object_id}.svg")
async def funding_call_badge(
    object_id: str, request: Request, state: StateDep, session: SessionDep
) -> Response:
    """ "52 % of 50 000 € · 6 funders": a published local call's progress."""
    call = await get_funding_call(session, object_id)
    if not call.is_local or call.status == FundingStatus.draft:
        raise NotFound(f"no published local call {object_id!r}")
    badge = await call_badge(session, call, today=state.clock.today())
    language = await picture_language(request, session, call.actor_id)
    label = translations(language).gettext("funding")
    color = _COLORS.get(badge.status, "#555")
    return _svg(request, badge_svg(label, badge.message(language), color=color))


@router.get("/badges/projects/{object_id}.svg")
async def project_usage_badge(object_id: str, request: Request, session: SessionDep) -> Response:
    """ "used by N": how many organisations declared they use a local project."""
    project = await get_project(session, object_id)
    if not project.is_local:
        raise NotFound(f"no local project {object_id!r}")
    language = await picture_language(request, session, project.actor_id)
    label = translations(language).gettext("commons")
    message = await project_badge(session, project, language=language)
    return _svg(request, badge_svg(label, message, color="#6a1b9a"))
