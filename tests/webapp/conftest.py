"""Fixtures of the web app tests: an instance that mails through a real local SMTP server."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from fastapi import FastAPI

from server.main import create_app
from server.settings import Settings
from tests.conftest import TEST_BASE_URL
from tests.mailbox import Mailbox, smtp_server


@pytest.fixture
def mailbox() -> Iterator[tuple[Mailbox, str]]:
    """A running SMTP server: its mailbox and URL."""
    with smtp_server() as running:
        yield running


@pytest.fixture
async def mail_app(settings: Settings, mailbox: tuple[Mailbox, str]) -> AsyncIterator[FastAPI]:
    """The app, mailing through ``mailbox``, with open registrations."""
    configured = settings.model_copy(update={"smtp_url": mailbox[1], "registrations": "open"})
    application = create_app(configured)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def mail_client(mail_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """A client of ``mail_app``."""
    transport = httpx.ASGITransport(app=mail_app)
    async with httpx.AsyncClient(transport=transport, base_url=TEST_BASE_URL) as http:
        yield http
