"""Mail over SMTP (``COMMUNS_SMTP_URL``), or to the log when it is unset (development).

``smtp://`` upgrades with STARTTLS when the server offers it; ``smtps://`` is TLS from the
start. smtplib blocks, so sending runs in a thread.
"""

from __future__ import annotations

import asyncio
import logging
import smtplib
from email.message import EmailMessage
from urllib.parse import unquote, urlsplit

from server.settings import Settings

__all__ = ["send_mail"]

log = logging.getLogger("communs.mail")

_TIMEOUT = 10


def _send(url: str, message: EmailMessage) -> None:
    parts = urlsplit(url)
    host = parts.hostname or "localhost"
    if parts.scheme == "smtps":
        client: smtplib.SMTP = smtplib.SMTP_SSL(host, parts.port or 465, timeout=_TIMEOUT)
    else:
        client = smtplib.SMTP(host, parts.port or 587, timeout=_TIMEOUT)
    with client:
        client.ehlo()
        if parts.scheme == "smtp" and client.has_extn("starttls"):
            client.starttls()
            client.ehlo()
        if parts.username:
            client.login(unquote(parts.username), unquote(parts.password or ""))
        client.send_message(message)


async def send_mail(settings: Settings, *, to: str, subject: str, body: str) -> None:
    """Send a plain-text mail, or log it when no SMTP server is configured.

    Raises ``OSError`` (``smtplib.SMTPException`` included) when the server refuses it.
    """
    message = EmailMessage()
    message["From"] = settings.sender
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body)
    if settings.smtp_url is None:
        log.warning("COMMUNS_SMTP_URL is unset; mail to %s: %s\n%s", to, subject, body)
        return
    await asyncio.to_thread(_send, settings.smtp_url, message)
