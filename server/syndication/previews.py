"""OpenGraph pictures of funding calls: a PNG with the title and the progress, so that a link
shared on Mastodon shows the figures in its preview card.

Drawn with Pillow, in DejaVu Sans when the system has it (else Pillow's bundled font, which
lacks accented letters; nothing is fetched), on a thread:
drawing takes a few tens of milliseconds. The ETag is a hash of what the picture shows, so a
revalidation is answered 304 without drawing.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import textwrap
from decimal import Decimal
from functools import cache

from babel.numbers import format_percent
from fastapi import APIRouter, Request
from fastapi.responses import Response
from PIL import Image, ImageDraw, ImageFont

from schemas.states import FundingStatus
from server.domain.badges import CallBadge, call_badge
from server.domain.funding import get_funding_call
from server.domain.labels import FUNDING_STATUS_LABELS
from server.errors import NotFound
from server.http.deps import SessionDep, StateDep
from server.i18n import locale_of, translations
from server.syndication.languages import picture_language

__all__ = ["PREVIEW_SIZE", "draw_preview", "router"]

router = APIRouter(include_in_schema=False)

#: OpenGraph's recommended size (Mastodon crops to 1.91:1).
PREVIEW_SIZE = (1200, 630)
_BACKGROUND, _INK, _MUTED = "#fbfaf7", "#1b1b1b", "#5f5f5f"
_TRACK, _BAR = "#e4e0d8", "#2e7d32"


#: Spaces the default font lacks (babel's French grouping), drawn as plain spaces.
_SPACES = str.maketrans({"\u202f": " ", "\u00a0": " "})


#: A system font that has the accented letters of French titles (Debian's fonts-dejavu-core,
#: which the Docker image installs); Pillow's bundled font draws "é" as a box.
_SYSTEM_FONT = "DejaVuSans.ttf"


@cache
def _has_system_font() -> bool:
    try:
        ImageFont.truetype(_SYSTEM_FONT, 12)
    except OSError:
        return False
    return True


@cache
def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    if _has_system_font():
        return ImageFont.truetype(_SYSTEM_FONT, size)
    return ImageFont.load_default(size=size)


def _title_lines(
    title: str, font: ImageFont.FreeTypeFont | ImageFont.ImageFont, room: int
) -> list[str]:
    """Return the title in at most two lines that fit ``room`` pixels, as drawn in ``font``
    (the most characters per line that fit, "…" when it is cut)."""
    for width in range(40, 10, -2):
        lines = textwrap.wrap(title, width=width, max_lines=2, placeholder=" …") or [""]
        if all(font.getlength(line) <= room for line in lines):
            return lines
    return lines


def draw_preview(title: str, badge: CallBadge, *, site: str, language: str) -> bytes:
    """Return the PNG of a call: its title, a progress bar and its figures, in ``language``."""
    catalog, locale = translations(language), locale_of(language)
    width, height = PREVIEW_SIZE
    image = Image.new("RGB", PREVIEW_SIZE, _BACKGROUND)
    draw = ImageDraw.Draw(image)
    title = title.translate(_SPACES)
    lines = _title_lines(title, _font(64), width - 160)
    y = 70
    for line in lines:
        draw.text((80, y), line, font=_font(64), fill=_INK)
        y += 80
    # Pillow's own font has no currency symbols: amounts are then written with their code
    code = not _has_system_font()
    raised = catalog.gettext("{raised} of {goal}").format(
        raised=badge.raised(code=code, locale=locale), goal=badge.goal(code=code, locale=locale)
    )
    raised = raised.translate(_SPACES)
    draw.text((80, 330), raised, font=_font(48), fill=_INK)
    bar_top, bar_width = 410, width - 160
    draw.rounded_rectangle((80, bar_top, 80 + bar_width, bar_top + 44), radius=22, fill=_TRACK)
    filled = round(bar_width * min(badge.percent, 100) / 100)
    if filled:
        box = (80, bar_top, 80 + max(filled, 44), bar_top + 44)
        draw.rounded_rectangle(box, radius=22, fill=_BAR)
    funders = catalog.ungettext("{num} funder", "{num} funders", badge.funders)
    percent = format_percent(Decimal(badge.percent) / 100, locale=locale)
    status = FUNDING_STATUS_LABELS.get(badge.status, badge.status)
    details = f"{percent} · {funders.format(num=badge.funders)} · {catalog.gettext(status)}"
    details = details.translate(_SPACES)
    draw.text((80, 490), details, font=_font(40), fill=_MUTED)
    draw.text((80, height - 70), site, font=_font(32), fill=_MUTED)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


@router.get("/previews/funding-calls/{object_id}.png")
async def funding_call_preview(
    object_id: str, request: Request, state: StateDep, session: SessionDep
) -> Response:
    """A published local call's preview picture (``og:image`` of its page)."""
    call = await get_funding_call(session, object_id)
    if not call.is_local or call.status == FundingStatus.draft:
        raise NotFound(f"no published local call {object_id!r}")
    badge = await call_badge(session, call, today=state.clock.today())
    site = state.settings.instance_name
    language = await picture_language(request, session, call.actor_id)
    shown = repr((call.title, badge, site, language, PREVIEW_SIZE)).encode()
    tag = '"' + hashlib.sha256(shown).hexdigest()[:32] + '"'
    headers = {"ETag": tag, "Cache-Control": "public, max-age=300"}
    if tag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    body = await asyncio.to_thread(draw_preview, call.title, badge, site=site, language=language)
    return Response(body, media_type="image/png", headers=headers)
