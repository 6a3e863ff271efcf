"""HTML pages for people, cached and tagged the way ActivityStreams documents are.

A funding call's page with its pledges, an actor's profile or the directory costs tens of
queries and a template render; the same page for every visitor is kept in the process's
document cache (``server.http.doccache``: forgotten by this process's writers at once, by other
processes within its TTL) with its ETag, and ``server.frontdoor`` serves it ahead of FastAPI.
A request carrying a cookie or credentials may be someone's own view: it is never answered
from, nor kept in, the cache.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from server.http.doccache import PAGE_PREFIX, DocumentCache
from server.http.etags import etag_of, not_modified

__all__ = ["cached_page", "keep_page", "page_key"]

#: Headers a page is served with again from the cache.
_KEPT = ("content-type", "link", "vary")


def page_key(request: Request) -> str | None:
    """Return the cache key of an HTML GET, or None when its answer may be personal."""
    headers = request.headers
    if request.method != "GET" or "cookie" in headers or "authorization" in headers:
        return None
    language = headers.get("accept-language", "")
    return f"{PAGE_PREFIX}{request.url.path}?{request.url.query}#{language}"


def keep_page(request: Request, documents: DocumentCache, response: Response) -> Response:
    """Return a rendered page with its ETag (or a 304), kept for the next visitors."""
    if response.status_code != 200:
        return response
    body = bytes(response.body)
    tag = etag_of(body)
    response.headers["ETag"] = tag
    key = page_key(request)
    if key is not None:
        headers = {name: response.headers[name] for name in _KEPT if name in response.headers}
        documents.put(key, body, headers | {"etag": tag})
    return not_modified(request, tag, response.headers.get("vary")) or response


def cached_page(request: Request, documents: DocumentCache) -> Response | None:
    """Return the kept page this GET asks for (or a 304), None when there is none."""
    key = page_key(request)
    entry = documents.entry(key) if key is not None else None
    if entry is None:
        return None
    body, headers = entry
    return not_modified(request, headers["etag"], headers.get("vary")) or Response(
        body, headers=headers
    )
