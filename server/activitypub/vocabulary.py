"""``GET /ns``: the Communs JSON-LD context, with a short definition of each term.

Our documents define these terms inline (peers never fetch contexts, FEDERATION.md); this
document is for people and for JSON-LD tools that follow the namespace IRI
(``https://w3id.org/communs/ns#`` redirects here). FEDERATION.md explains the terms in full.
"""

from __future__ import annotations

import json
from typing import Any, Final

from fastapi import APIRouter
from fastapi.responses import Response

from schemas.context import COMMUNS_TERMS

router = APIRouter(include_in_schema=False)

_DEFINITIONS: Final = {
    "objectType": "What a Note stands for: Project, FundingCall, Pledge, Usage (its actor uses "
    "the project) or ServiceOffer (its actor provides services for the project).",
    "status": "Project: idea, active, maintained, archived. FundingCall: open, funded, closed, "
    "cancelled. Pledge: offered, accepted, rejected, withdrawn.",
    "goal": "The amount a funding call seeks (a schema:MonetaryAmount; value is a decimal string).",
    "raised": "The sum of the accepted pledges of a funding call (a schema:MonetaryAmount).",
    "raisedBySector": "The accepted pledges of a funding call summed per sector: a map from "
    "sector (public, private, civil_society, individual) to a schema:MonetaryAmount.",
    "sector": "The sector of a funder: public, private, civil_society or individual.",
    "project": "The project (a Note with objectType Project) a funding call, a Usage or a "
    "ServiceOffer is about.",
    "serviceKind": "The services a ServiceOffer provides: development, support, hosting, "
    "training, consulting, integration.",
    "actorKind": "The kind of the actor making a Usage or ServiceOffer: cooperative, company, "
    "public_body, association, collective or person.",
    "fundingCall": "The funding call a pledge is for.",
    "recordedBy": "The call's owner, on a pledge it recorded for a funder outside the "
    "fediverse: no actor vouches for such a pledge (it has a name and no attributedTo).",
}


def _document() -> dict[str, Any]:
    context = {
        "as": "https://www.w3.org/ns/activitystreams#",
        **COMMUNS_TERMS,
        "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
        "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    }
    graph = [
        {"@id": f"communs:{term}", "@type": "rdf:Property", "rdfs:comment": comment}
        for term, comment in _DEFINITIONS.items()
    ]
    return {"@context": context, "@graph": graph}


_BODY: Final = json.dumps(_document(), ensure_ascii=False, indent=2).encode()


@router.get("/ns")
async def vocabulary() -> Response:
    """Our JSON-LD context document (application/ld+json), cacheable and open to all origins."""
    return Response(
        _BODY,
        media_type="application/ld+json",
        headers={
            "Access-Control-Allow-Origin": "*",
            "Cache-Control": "public, max-age=86400",
        },
    )
