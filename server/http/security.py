"""Security headers on every response: HTML pages get a strict Content-Security-Policy.

Pages run no inline script (``script-src 'self'``, files under ``/static`` only), are never
framed, and tell other sites only their origin. Inline ``style`` attributes stay allowed (the
progress bars' widths); ``<style>`` elements do not. JSON and ActivityStreams documents get
``nosniff``. One wrapper, ahead of the whole application and around the front door's answers
(kept pages and documents), so pages added later get the same headers; a page that needs
another policy sets its own ``Content-Security-Policy``, which the wrapper leaves as it is.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

from starlette.types import Message, Send

__all__ = [
    "CONTENT_SECURITY_POLICY",
    "NOSNIFF",
    "content_security_policy",
    "with_security_headers",
]


def content_security_policy(*, form_targets: Iterable[str] = ()) -> str:
    """Return the pages' Content-Security-Policy; ``form_targets`` are the other origins a
    form of the page may lead to (browsers hold a form's redirect to ``form-action`` too: an
    OAuth consent ends at the app's own address)."""
    return "; ".join(
        [
            "default-src 'none'",
            "script-src 'self'",
            "style-src 'self'",
            "style-src-attr 'unsafe-inline'",
            "img-src 'self' https: data:",
            "font-src 'self'",
            "connect-src 'self'",
            " ".join(["form-action 'self'", *form_targets]),
            "base-uri 'none'",
            "frame-ancestors 'none'",
        ]
    )


CONTENT_SECURITY_POLICY: Final = content_security_policy()
NOSNIFF: Final = (b"x-content-type-options", b"nosniff")
_HTML_HEADERS: Final = [
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    NOSNIFF,
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
]


def with_security_headers(send: Send) -> Send:
    """Return ``send``, adding the security headers that fit each response's media type."""

    async def sending(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = list(message.get("headers", ()))
            names = {name.lower() for name, _ in headers}
            media = next((v for n, v in headers if n.lower() == b"content-type"), b"")
            extra = _HTML_HEADERS if media.startswith(b"text/html") else [NOSNIFF]
            headers += [header for header in extra if header[0] not in names]
            message = {**message, "headers": headers}
        await send(message)

    return sending
