"""A directory at scale for the search scenario: actors, projects and funding calls, half remote.

Names, summaries and descriptions are drawn from a fixed vocabulary (French words with
accents among them) so that some words are common and some rare, as in a real directory.
Rows go in with one bulk statement per chunk; the search indexes follow through the
database's own triggers (SQLite) and GIN indexes (PostgreSQL), as for any write.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

from sqlalchemy import insert, text

from server.clock import utcnow
from server.storage.db import Database
from server.storage.models import Actor, FundingCall, ObjectTag, Project
from server.urls import new_id

__all__ = ["COMMON", "RARE", "REGIONS", "seed_directory"]

#: Words found in many rows, and words found in a few (the vocabulary's tail).
COMMON = ["commun", "libre", "coopérative", "logiciel", "données", "réparation"]
RARE = ["ébénisterie", "cartographie", "apiculture", "forgeron", "Ærøskøbing"]
_WORDS = COMMON * 4 + [
    "énergie",
    "école",
    "santé",
    "mobilité",
    "vélo",
    "agriculture",
    "bibliothèque",
    "wiki",
    "cloud",
    "réseau",
    "éducation",
    "culture",
    "musique",
    "archives",
    "cartes",
    "météo",
    "transport",
    "habitat",
    "alimentation",
    "forêt",
    "eau",
    "quartier",
    "mairie",
    "atelier",
    "fabrique",
    "traduction",
    "accessibilité",
    "sécurité",
    "vie",
    "privée",
    "citoyen",
    "outil",
    "plateforme",
    "serveur",
    "mesh",
    "radio",
    "science",
    "recherche",
    "hôpital",
    "lycée",
]
_LICENSES = ["AGPL-3.0-or-later", "GPL-3.0-or-later", "MIT", "Apache-2.0", "CC-BY-SA-4.0"]
_CURRENCIES = ["EUR"] * 6 + ["USD", "CHF", "GBP", "CAD", "JPY"]
_KINDS = ["cooperative", "company", "public_body", "association", "collective", "person"]
REGIONS = ["Bretagne", "Occitanie", "Île-de-France", "Wallonie", "Québec", "Genève"]
_TAGS = ["commons", "cloud", "maps", "energy", "health", "school", "repair", "food", "rare"]


def _text(rng: random.Random, words: int, *, rare: float = 0.02) -> str:
    chosen = [rng.choice(_WORDS) for _ in range(words)]
    if rng.random() < rare:
        chosen[rng.randrange(words)] = rng.choice(RARE)
    return " ".join(chosen)


async def _insert(db: Database, table: Any, rows: list[dict[str, Any]], chunk: int = 2000) -> None:
    async with db.session() as session:
        for start in range(0, len(rows), chunk):
            await session.execute(insert(table), rows[start : start + chunk])
        await session.commit()


async def seed_directory(
    db: Database, *, base_url: str, domain: str, objects: int, actors: int
) -> None:
    """Insert ``actors`` actors (a fifth local) and ``objects`` projects and calls (half each,
    half of each remote), with tags; then ``ANALYZE`` as a running server's autovacuum would."""
    rng = random.Random(7)
    now = utcnow()
    actor_rows = []
    for k in range(actors):
        local = k % 5 == 0
        host = domain if local else f"r{k % 97}.remote.bench"
        uri = f"{base_url}/actors/a{k}" if local else f"https://{host}/users/a{k}"
        actor_rows.append(
            {
                "uri": uri,
                "username": f"a{k}",
                "domain": host,
                "is_local": local,
                "type": "Organization",
                "kind": _KINDS[k % len(_KINDS)],
                "name": _text(rng, 2, rare=0.01).title(),
                "summary_html": f"<p>{_text(rng, 12)}</p>",
                "region": REGIONS[k % len(REGIONS)],
                "inbox_uri": f"{uri}/inbox",
                "created_at": now,
                "updated_at": now,
            }
        )
    await _insert(db, Actor, actor_rows)
    async with db.session() as session:
        ids = (await session.execute(text("SELECT id, is_local FROM actor"))).all()
    local_ids = [i for i, is_local in ids if is_local]
    remote_ids = [i for i, is_local in ids if not is_local]
    projects, calls, tags = [], [], []
    for k in range(objects):
        local = k % 2 == 0
        owner = rng.choice(local_ids if local else remote_ids)
        object_id = new_id()
        kind = "projects" if k % 4 < 2 else "funding-calls"
        uri = (
            f"{base_url}/{kind}/{object_id}"
            if local
            else f"https://r{owner % 97}.remote.bench/{kind}/{k}"
        )
        common = {
            "id": object_id,
            "uri": uri,
            "actor_id": owner,
            "is_local": local,
            "summary": _text(rng, 10),
            "description": _text(rng, 40),
            "description_html": "",
            "tags": [],
            "published_at": now,
            "updated_at": now,
        }
        if kind == "projects":
            projects.append(
                common
                | {
                    "name": _text(rng, 3).title(),
                    "license": _LICENSES[k % len(_LICENSES)],
                    "status": ["active", "maintained", "idea", "archived"][k % 4 // 2 + k % 3 % 2],
                }
            )
        else:
            calls.append(
                common
                | {
                    "title": _text(rng, 4).capitalize(),
                    "currency": _CURRENCIES[k % len(_CURRENCIES)],
                    "goal_minor": 1_000_000,
                    "raised_minor": rng.randrange(0, 1_000_000),
                    "raised_by_sector": {},
                    "deadline": date.today() + timedelta(days=30 + k % 300),  # noqa: DTZ011
                    "status": "open" if k % 7 else "funded",
                }
            )
        table = "project" if kind == "projects" else "funding_call"
        tags.append({"object_uri": uri, "tag": _TAGS[k % (len(_TAGS) - 1)], "kind": table})
        if k % 500 == 0:
            tags.append({"object_uri": uri, "tag": "rare", "kind": table})
    await _insert(db, Project, projects)
    await _insert(db, FundingCall, calls)
    await _insert(db, ObjectTag, tags)
    if not db.is_sqlite:
        async with db.engine.connect() as connection:
            await connection.execution_options(isolation_level="AUTOCOMMIT")
            await connection.execute(text("ANALYZE"))
    else:
        async with db.engine.begin() as connection:
            await connection.execute(text("ANALYZE"))
