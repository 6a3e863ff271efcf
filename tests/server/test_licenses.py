"""Licences are exact SPDX expressions: aliases are refused with a suggestion, ``LicenseRef``s
are accepted, and what other instances send is read leniently."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from server.domain.licenses import normalize_license
from server.errors import Invalid
from tests.conftest import create_actor


@pytest.mark.parametrize(
    ("typed", "suggested"),
    [
        ("GPL", "GPL-3.0-only or GPL-3.0-or-later"),
        ("GPL-3.0", "GPL-3.0-only or GPL-3.0-or-later"),
        ("LGPL-2.1", "LGPL-2.1-only or LGPL-2.1-or-later"),
        ("GPL-2.0+", "GPL-2.0-or-later"),
    ],
)
def test_normalize_license__alias_refused_with_a_suggestion(typed: str, suggested: str) -> None:
    with pytest.raises(Invalid) as refused:
        normalize_license(typed)
    assert refused.value.detail == f"license: {typed}: did you mean {suggested}?"


@pytest.mark.parametrize(
    ("typed", "normalized"),
    [
        ("mit", "MIT"),
        ("MIT and apache-2.0", "MIT AND Apache-2.0"),
        ("LicenseRef-Commune-1.0", "LicenseRef-Commune-1.0"),
        ("(MIT OR Apache-2.0) AND LicenseRef-x", "(MIT OR Apache-2.0) AND LicenseRef-x"),
        (
            "DocumentRef-tools-1.2:LicenseRef-MIT-Style-2",
            "DocumentRef-tools-1.2:LicenseRef-MIT-Style-2",
        ),
        ("Apache-2.0 WITH LLVM-exception", "Apache-2.0 WITH LLVM-exception"),
    ],
)
def test_normalize_license__current_identifiers_and_license_refs(
    typed: str, normalized: str
) -> None:
    assert normalize_license(typed) == normalized


@pytest.mark.parametrize("typed", ["BSD", "MIT/", "Not-A-Licence", "MIT OR"])
def test_normalize_license__unknown_refused(typed: str) -> None:
    with pytest.raises(Invalid, match="license"):
        normalize_license(typed)


@pytest.mark.parametrize(
    ("sent", "read"), [("GPL-3.0", "GPL-3.0-only"), ("GPL-2.0+", "GPL-2.0-or-later")]
)
def test_normalize_license__lenient_reads_aliases(sent: str, read: str) -> None:
    assert normalize_license(sent, strict=False) == read


async def test_post_project__license_alias_is_422_with_the_suggestion(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # Given an actor
    _, token = await create_actor(app, "coop")
    auth = {"Authorization": f"Bearer {token}"}

    # When it names its licence "GPL", then a LicenseRef
    refused = await client.post(
        "/api/v1/projects", json={"name": "Maps", "license": "GPL"}, headers=auth
    )
    accepted = await client.post(
        "/api/v1/projects",
        json={"name": "Maps", "license": "LicenseRef-Commune-1.0"},
        headers=auth,
    )

    # Then "GPL" is refused with what it could mean, nothing written, and the LicenseRef stored
    assert refused.status_code == 422
    assert "did you mean GPL-3.0-only or GPL-3.0-or-later?" in refused.text
    assert accepted.status_code == 201, accepted.text
    assert accepted.json()["license"] == "LicenseRef-Commune-1.0"
    listed = await client.get("/api/v1/projects", headers=auth)
    assert [p["license"] for p in listed.json()["items"]] == ["LicenseRef-Commune-1.0"]
