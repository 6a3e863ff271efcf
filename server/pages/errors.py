"""Error pages for people: a browser (``Accept: text/html``) that meets a failure gets a page
in its language, with a way back; programs keep the JSON ``{"detail": …}`` of the API.

The application's exception handlers (``server.main``) ask ``error_page`` first, so every
failure, whatever raised it, is answered by one mechanism.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from server.http.visits import page_language
from server.i18n import N_, Message, translations
from server.pages.templating import Reader, render_page

__all__ = ["error_page", "wants_html"]

#: What a page says for each status; other statuses say the generic line.
_TITLES = {
    400: N_("This request is not valid"),
    403: N_("This is not allowed"),
    404: N_("Page not found"),
    405: N_("This action is not possible here"),
    409: N_("This conflicts with what exists"),
    410: N_("This is gone"),
    413: N_("This is too large"),
    422: N_("This request is not valid"),
    429: N_("Too many requests"),
    503: N_("The service is unavailable for a moment"),
}

_EXPLANATIONS = {
    404: N_("The address may be mistyped, or what it named was removed."),
    400: N_("A value in the address is not one this page understands."),
    422: N_("A value in the address is not one this page understands."),
    503: N_("Try again in a few seconds."),
}


def wants_html(request: Request) -> bool:
    """Whether the failure of this request is for a person (a browser), not a program."""
    accept = request.headers.get("accept", "")
    return "text/html" in accept and not request.url.path.startswith("/api/")


def error_page(
    request: Request, status: int, detail: str | None, headers: dict[str, str] | None = None
) -> Response:
    """Return the page of a failure; ``detail`` (a ``Message``, or text the catalog may hold)
    is said in the page's language, and left out when the catalog lacks it."""
    state = request.app.state.communs
    language = page_language(request, state.settings.default_language)
    reader = Reader(language=language)
    catalog = translations(language)
    if isinstance(detail, Message):
        said: str | None = detail.in_language(catalog)
    else:
        said = catalog.ugettext(detail) if detail else None
    context = {
        "status": status,
        "title": _TITLES.get(status, N_("Something went wrong")),
        "explanation": _EXPLANATIONS.get(status, ""),
        # a detail the catalog lacks stays unsaid, unless the page is in its language
        "detail": said if said and status < 500 and (said != detail or language == "en") else None,
    }
    response = render_page(request, state.settings, reader, "error.html", context, status=status)
    response.headers["Cache-Control"] = "no-store"
    for name, value in (headers or {}).items():
        response.headers.setdefault(name, value)
    return response
