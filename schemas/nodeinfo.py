"""NodeInfo 2.0 / 2.1 documents (https://nodeinfo.diaspora.software)."""

from __future__ import annotations

from typing import Any

__all__ = ["nodeinfo_document", "nodeinfo_links"]

_SCHEMA = "http://nodeinfo.diaspora.software/ns/schema/{version}"


def nodeinfo_links(base_url: str) -> dict[str, Any]:
    """Return the ``/.well-known/nodeinfo`` discovery document."""
    return {
        "links": [
            {"rel": _SCHEMA.format(version=v), "href": f"{base_url}/nodeinfo/{v}"}
            for v in ("2.0", "2.1")
        ]
    }


def nodeinfo_document(
    *,
    version: str,
    software_version: str,
    users: int,
    active_month: int,
    active_halfyear: int,
    local_posts: int,
    node_name: str,
    node_description: str,
) -> dict[str, Any]:
    """Return a NodeInfo document of schema ``version`` (2.0 or 2.1)."""
    software: dict[str, Any] = {"name": "communs", "version": software_version}
    if version == "2.1":
        software["repository"] = "https://w3id.org/communs"
    return {
        "version": version,
        "software": software,
        "protocols": ["activitypub"],
        "services": {"inbound": [], "outbound": []},
        "openRegistrations": False,
        "usage": {
            "users": {
                "total": users,
                "activeMonth": active_month,
                "activeHalfyear": active_halfyear,
            },
            "localPosts": local_posts,
        },
        "metadata": {"nodeName": node_name, "nodeDescription": node_description},
    }
