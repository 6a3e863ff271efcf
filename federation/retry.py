"""Delivery retry policy, never harsher than Mastodon's (FEDERATION.md, "Signatures, fetching and
delivery").

2xx → delivered; 4xx other than 401/408/429 (and 501) → failed at once; everything else
(401/408/429/5xx, timeouts, network errors) → retried. Retry n (0-based) waits ``n⁴ + 15`` s
plus jitter of up to ``0.5·n⁴ + 10·(n+1)`` s, or longer when ``Retry-After`` says so; after 16
tries (≈ 2–3 days) the delivery is abandoned. A host failing on 7 distinct UTC days is marked
unavailable until it answers or sends us a signed request.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Literal

__all__ = [
    "MAX_ATTEMPTS",
    "UNAVAILABLE_AFTER_DAYS",
    "Verdict",
    "classify_status",
    "is_unavailable",
    "next_attempt_at",
    "parse_retry_after",
    "record_failure_day",
]

MAX_ATTEMPTS = 16
UNAVAILABLE_AFTER_DAYS = 7
MAX_RETRY_AFTER = timedelta(days=1)

Verdict = Literal["delivered", "retry", "failed"]


def classify_status(status: int) -> Verdict:
    """Return what an HTTP status means for a delivery."""
    if 200 <= status < 300:
        return "delivered"
    if 400 <= status < 500 and status not in (401, 408, 429):
        return "failed"
    if status == 501:
        return "failed"
    return "retry"


def parse_retry_after(value: str | None, *, now: datetime) -> datetime | None:
    """Return the instant a ``Retry-After`` (seconds or HTTP-date) points to, capped at 1 day."""
    if not value:
        return None
    value = value.strip()
    try:
        when = (
            now + timedelta(seconds=int(value)) if value.isdigit() else parsedate_to_datetime(value)
        )
    except (ValueError, TypeError, OverflowError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return min(max(when, now), now + MAX_RETRY_AFTER)


def next_attempt_at(
    attempts: int,
    *,
    now: datetime,
    retry_after: datetime | None = None,
    rng: random.Random | None = None,
) -> datetime | None:
    """Return when to try again after ``attempts`` failed tries, or ``None`` to give up."""
    if attempts >= MAX_ATTEMPTS:
        return None
    n = attempts - 1
    jitter = (rng or random).uniform(0, 0.5 * n**4 + 10 * (n + 1))
    when = now + timedelta(seconds=n**4 + 15 + jitter)
    return max(when, retry_after) if retry_after else when


def record_failure_day(days: Iterable[str], *, now: datetime) -> list[str]:
    """Return the failure days of a host with today's UTC date added (kept sorted, distinct)."""
    return sorted({*days, now.astimezone(UTC).date().isoformat()})


def is_unavailable(days: Iterable[str]) -> bool:
    """Whether a host has failed on enough distinct days to stop delivering to it."""
    return len(set(days)) >= UNAVAILABLE_AFTER_DAYS
