"""Which domain rule applies to a host: a block on a domain covers its subdomains, as on Mastodon.

``Domain`` rows hold one host each (``host[:port]``, lower-case ASCII, as ``normalize_host``
writes them). A rule on ``example.com`` applies to ``example.com``, to ``social.example.com``
and to either on any port, never to ``otherexample.com``; the most specific rule wins.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from schemas.states import DomainBlock
from server.models import Domain

__all__ = ["block_rules", "domain_variants", "rule_for", "within"]


@lru_cache(maxsize=4096)
def domain_variants(host: str) -> tuple[str, ...]:
    """Return ``host`` and every domain it belongs to, most specific first.

    ``a.b.example:8443`` → ``a.b.example:8443``, ``a.b.example``, ``b.example``, ``example``.
    An IP address belongs to no other domain (its port aside).
    """
    if host.startswith("["):  # [IPv6]:port
        name, port = host[: host.find("]") + 1], host[host.find("]") + 2 :]
    elif host.count(":") == 1:
        name, _, port = host.partition(":")
    else:
        name, port = host, ""
    variants = [host]
    if port:
        variants.append(name)
    if name.startswith("[") or name.replace(".", "").isdigit():  # IPv6 or IPv4 literal
        return tuple(variants)
    labels = name.split(".")
    variants += [".".join(labels[i:]) for i in range(1, len(labels))]
    return tuple(variants)


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
