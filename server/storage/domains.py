"""Which domain rule applies to a host: a block on a domain covers its subdomains, as on Mastodon.

``Domain`` rows hold one host each (``host[:port]``, lower-case ASCII, as ``normalize_host``
writes them). A rule on ``example.com`` applies to ``example.com``, to ``social.example.com``
and to either on any port, never to ``otherexample.com``; a rule on ``example.com:8443`` to
that port only. The most specific rule wins.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from schemas.states import DomainBlock
from server.storage.models import Domain

__all__ = ["BLOCKED_ERROR", "block_rules", "domain_variants", "rule_for", "within"]

#: Why a delivery or an activity of a blocked domain was dropped.
BLOCKED_ERROR = "domain blocked"


@lru_cache(maxsize=4096)
def domain_variants(host: str) -> tuple[str, ...]:
    """Return ``host`` and every domain it belongs to, most specific first.

    ``a.example:8443`` → ``a.example:8443``, ``a.example``, ``example:8443``, ``example``: a
    rule on a domain with a port covers that port only. An IP address belongs to no other
    domain (its port aside). User info and a final dot are not part of the host's name
    (``u@evil.example.`` is ``evil.example``).
    """
    host = host.rpartition("@")[2]
    if host.startswith("["):  # [IPv6]:port
        name, port = host[: host.find("]") + 1], host[host.find("]") + 2 :]
    elif host.count(":") == 1:
        name, _, port = host.partition(":")
    else:
        name, port = host, ""
    name = name.rstrip(".")
    if name.startswith("[") or name.replace(".", "").isdigit():  # IPv6 or IPv4 literal
        domains = [name]
    else:
        labels = name.split(".")
        domains = [".".join(labels[i:]) for i in range(len(labels))]
    suffix = f":{port}" if port else ""
    return tuple(
        variant for domain in domains for variant in dict.fromkeys((domain + suffix, domain))
    )


def rule_for(rules: Mapping[str, str], host: str) -> DomainBlock:
    """Return the block of the most specific of ``host``'s domains that has one (``none``)."""
    for variant in domain_variants(host):
        block = rules.get(variant, DomainBlock.none)
        if block != DomainBlock.none:
            return DomainBlock(block)
    return DomainBlock.none


async def block_rules(session: AsyncSession, hosts: Iterable[str] | None = None) -> dict[str, str]:
    """Return the blocks that may apply to ``hosts`` (all of them when None): domain → block."""
    query = select(Domain.host, Domain.block).where(Domain.block != DomainBlock.none)
    if hosts is not None:
        variants = {variant for host in hosts for variant in domain_variants(host)}
        if not variants:
            return {}
        query = query.where(col(Domain.host).in_(variants))
    return {host: block for host, block in (await session.execute(query)).all()}


def within(column: Any, domain: str | ColumnElement[str]) -> ColumnElement[bool]:
    """Return the SQL condition "``column``'s host is ``domain`` or one of its subdomains".

    ``domain`` is a host, or a column of ``Domain.host`` values, which ``normalize_host``
    keeps free of LIKE's wildcards (``%`` and ``_`` are not in host names).
    """
    host = col(column)
    if isinstance(domain, str):
        return or_(
            host == domain,
            host.startswith(f"{domain}:", autoescape=True),
            host.endswith(f".{domain}", autoescape=True),
            host.contains(f".{domain}:", autoescape=True),
        )
    return or_(
        host == domain,
        host.like(domain + ":%"),
        host.like("%." + domain),
        host.like("%." + domain + ":%"),
    )
