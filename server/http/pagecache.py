"""HTML pages for people, cached and tagged the way ActivityStreams documents are.

A funding call's page with its pledges, an actor's profile or the directory costs tens of
queries and a template render; the same page for every visitor is kept in the process's
document cache (``server.http.doccache``: forgotten by this process's writers at once, by other
processes within its TTL) with its ETag, and ``server.frontdoor`` serves it ahead of FastAPI.
A request carrying a cookie (other than the language chosen on the pages) or credentials may
be someone's own view: it is never answered from, nor kept in, the cache. Only browsers'
requests (``Accept: text/html``) are. Pages are kept by the language they are rendered in
(``?lang=``, the language cookie, else ``Accept-Language``), not by the header's exact text,
and say so with ``Vary: Accept, Accept-Language, Cookie``.

Unlike AS2 documents, kept pages never outlive a write by another process: before a kept page
is served, the database's write version (``server.storage.version``) is read, and a change
forgets every page; a page rendered meanwhile is kept only if none happened since its request
came in. A command-line deletion answers 410 at once.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from server.http.doccache import PAGE_PREFIX, DocumentCache
from server.http.etags import etag_of, not_modified
from server.http.visits import only_language_cookie, page_language
from server.storage.version import DataVersion

__all__ = ["cached_page", "keep_page", "page_key"]

#: Headers a page is served with again from the cache (the security headers are added to every
#: answer by ``server.http.security``, but a page's own policy is kept).
_KEPT = ("content-type", "link", "vary", "content-security-policy")

#: Where a request keeps the write version seen when it came in (its scope's state).
_SEEN = "communs.page_version"


def page_key(request: Request) -> str | None:
    """Return the cache key of a browser's GET, or None when its answer may be personal."""
    headers = request.headers
    if (
        request.method != "GET"
        or not only_language_cookie(headers.get("cookie", ""))
        or "authorization" in headers
        or "text/html" not in headers.get("accept", "")
    ):
        return None
    language = page_language(request, default="")  # "" is the instance's default, whatever it is
    return f"{PAGE_PREFIX}{request.url.path}?{request.url.query}#{language}"


def keep_page(request: Request, documents: DocumentCache, response: Response) -> Response:
    """Return a rendered page with its ETag (or a 304), kept for the next visitors."""
    if response.status_code != 200:
        return response
    body = bytes(response.body)
    tag = etag_of(body)
    response.headers["ETag"] = tag
    key = page_key(request)
    seen = request.scope.get("state", {}).get(_SEEN, _SEEN)
    if key is not None and seen == documents.page_version:  # nothing written since it came
        headers = {name: response.headers[name] for name in _KEPT if name in response.headers}
        documents.put(key, body, headers | {"etag": tag})
    return not_modified(request, tag, response.headers.get("vary")) or response


async def cached_page(
    request: Request, documents: DocumentCache, version: DataVersion
) -> Response | None:
    """Return the kept page this GET asks for (or a 304), None when there is none."""
    key = page_key(request)
    if key is None:
        return None
    current = await version.current()
    if current != documents.page_version:
        documents.forget_pages()
        documents.page_version = current
    request.scope.setdefault("state", {})[_SEEN] = current
    entry = documents.entry(key)
    if entry is None:
        return None
    body, headers = entry
    return not_modified(request, headers["etag"], headers.get("vary")) or Response(
        body, headers=headers
    )
