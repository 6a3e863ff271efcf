"""A real SMTP server on 127.0.0.1 (aiosmtpd) that keeps the mails it receives."""

from __future__ import annotations

import contextlib
import re
import socket
from collections.abc import Iterator
from email import message_from_bytes
from email.message import Message
from typing import Any

from aiosmtpd.controller import Controller


class Mailbox:
    """The mails received, parsed."""

    def __init__(self) -> None:
        self.mails: list[Message] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.mails.append(message_from_bytes(envelope.original_content or envelope.content))
        return "250 OK"

    def to(self, address: str) -> list[Message]:
        """Return the mails sent to ``address``, oldest first."""
        return [mail for mail in self.mails if mail["To"] == address]

    def link_to(self, address: str) -> str:
        """Return the path of the last link mailed to ``address``."""
        mails = self.to(address)
        assert mails, f"no mail to {address}"
        body = mails[-1].get_payload(decode=True)
        assert isinstance(body, bytes)
        found = re.findall(r"https?://[^/\s]+(/\S+)", body.decode())
        assert found, "no link in the mail"
        return str(found[-1])


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def smtp_server() -> Iterator[tuple[Mailbox, str]]:
    """Run an SMTP server until the block ends; yield its mailbox and ``smtp://`` URL."""
    mailbox = Mailbox()
    port = _free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield mailbox, f"smtp://127.0.0.1:{port}"
    finally:
        controller.stop()
