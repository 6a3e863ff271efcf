"""Prometheus counters of one process: what the inbox answered, how deliveries went.

Counters are per process (scrape every web and worker process, or sum them). They are served,
with the queues' depths, by ``server.api.monitoring``.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter

__all__ = ["DELIVERIES", "INBOX_REQUESTS", "REGISTRY"]

REGISTRY = CollectorRegistry(auto_describe=True)
INBOX_REQUESTS = Counter(
    "communs_inbox_requests", "Inbox POSTs by outcome.", ["reason"], registry=REGISTRY
)
DELIVERIES = Counter(
    "communs_delivery_attempts", "Delivery attempts by verdict.", ["verdict"], registry=REGISTRY
)
