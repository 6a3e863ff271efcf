"""The delivery limit: sign (RSA-2048, key loaded once) and POST the same bytes, no database.

Run as ``python -m bench.signloop SPEC`` (a JSON file); prints one JSON line. Uses aiohttp on
uvloop — the fastest Python client measured here (docs/performance.md) — with the same concurrency
as the delivery worker, each request to its own inbox path, exactly like a fan-out.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import aiohttp

from bench.eventloop import run
from federation.httpsig import SigningKey, sign_request
from federation.keys import load_private_key

__all__ = ["sign_and_post"]

CONTENT_TYPE = "application/activity+json"


async def sign_and_post(
    *, urls: list[str], body: bytes, key: SigningKey, concurrency: int
) -> dict[str, Any]:
    """Return how many POSTs were made, their statuses, the elapsed seconds and the rate."""
    statuses: Counter[int] = Counter()
    pending = iter(urls)
    async with aiohttp.ClientSession() as session:

        async def worker() -> None:
            for url in pending:
                headers = {"Content-Type": CONTENT_TYPE, "Accept": CONTENT_TYPE}
                headers |= sign_request(method="POST", url=url, headers=headers, body=body, key=key)
                async with session.post(url, data=body, headers=headers) as response:
                    await response.read()
                    statuses[response.status] += 1

        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - start
    return {
        "count": sum(statuses.values()),
        "statuses": {str(k): v for k, v in statuses.items()},
        "elapsed": elapsed,
        "rate": sum(statuses.values()) / elapsed,
    }


def main() -> None:
    """Entry point: ``python -m bench.signloop SPEC.json``."""
    spec = json.loads(Path(sys.argv[1]).read_text())
    key = SigningKey(key_id=spec["key_id"], private_key=load_private_key(spec["private_key_pem"]))
    urls = [f"{spec['base']}/i/{k}" for k in range(spec["count"])]
    result = run(
        sign_and_post(
            urls=urls,
            body=Path(spec["body_file"]).read_bytes(),
            key=key,
            concurrency=spec["concurrency"],
        )
    )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
