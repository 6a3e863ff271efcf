"""Reading signed requests: the inbox body, and authorized-fetch checks on GETs."""

from __future__ import annotations

import logging
from collections.abc import Mapping

from fastapi import HTTPException, Request
from starlette.requests import ClientDisconnect
from starlette.types import Receive, Scope

from federation.errors import KeyResolutionError
from federation.httpsig import Verification, parse_signature
from federation.inbox import MAX_INBOX_BODY
from server.http.deps import AppState, StateDep, wants_as2

__all__ = [
    "authorized_fetch_refusal",
    "read_body",
    "received_url",
    "require_signed_get",
    "signed_get_refusal",
]

log = logging.getLogger("communs.inbox")


def received_url(scope: Scope, host: str, base_url: str) -> str:
    """Return the absolute URL as the client signed it: public scheme, raw Host, raw path."""
    scheme = base_url.split("://", 1)[0]
    raw_path = scope.get("raw_path") or scope["path"].encode()
    query = scope.get("query_string", b"")
    target = raw_path.decode("latin-1") + (f"?{query.decode('latin-1')}" if query else "")
    return f"{scheme}://{host}{target}"


async def read_body(
    receive: Receive, declared: str | None, *, limit: int = MAX_INBOX_BODY
) -> bytes:
    """Return the raw body, refusing with 413 as soon as it passes ``limit`` bytes.

    ``declared`` is the Content-Length header, if any: a body announced too large is refused
    before a byte of it is read. Raises ``ClientDisconnect`` if the client leaves meanwhile.
    """
    if declared is not None and declared.isascii() and declared.isdigit() and int(declared) > limit:
        raise HTTPException(413, f"body larger than {limit} bytes")
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientDisconnect
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise HTTPException(413, f"body larger than {limit} bytes")
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


async def signed_get_refusal(state: AppState, url: str, headers: Mapping[str, str]) -> str | None:
    """Return why a GET of ``url`` lacks a valid signature, or None when it is signed well."""
    signed = parse_signature(method="GET", url=url, headers=headers, now=state.clock.now())
    if isinstance(signed, Verification):
        return f"a valid HTTP signature is required ({signed.reason})"
    try:
        verification, _ = await state.federation.resolver.verify(signed, body=None)
    except KeyResolutionError as exc:  # its text may say how names resolve here: logged only
        log.info("signed GET of %s: key %s unusable: %s", url, signed.key_id, exc)
        return "the signature's key could not be obtained from its server"
    return None if verification.ok else f"invalid HTTP signature ({verification.reason})"


async def authorized_fetch_refusal(request: Request, state: AppState) -> str | None:
    """In authorized-fetch mode, why an AS2 GET lacks a valid signature; None when it has
    one, or when the mode is off or the GET is not for AS2."""
    if not state.settings.authorized_fetch or not wants_as2(request):
        return None
    url = received_url(request.scope, request.headers.get("host", ""), state.urls.base)
    return await signed_get_refusal(state, url, request.headers)


async def require_signed_get(request: Request, state: StateDep) -> None:
    """In authorized-fetch mode, refuse (401) AS2 GETs without a valid signature."""
    refusal = await authorized_fetch_refusal(request, state)
    if refusal is not None:
        raise HTTPException(401, refusal)
