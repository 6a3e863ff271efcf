"""Ids: opaque, unique, sortable by creation time, and their time readable back."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from server.urls import id_time, new_id


def test_new_id__26_lower_case_crockford_digits_never_repeated() -> None:
    ids = [new_id() for _ in range(10_000)]
    assert len(set(ids)) == len(ids)
    assert all(len(i) == 26 and set(i) <= set("0123456789abcdefghjkmnpqrstvwxyz") for i in ids)


def test_new_id__sorts_by_creation_time_and_tells_it() -> None:
    before = datetime.now(UTC).replace(microsecond=0)
    first = new_id()
    time.sleep(0.002)
    second = new_id()
    assert first < second
    minted = id_time(second)
    assert before <= minted <= datetime.now(UTC) + timedelta(milliseconds=1)
