"""Nothing blocks the event loop: while actors are created (an RSA key each), the server keeps
answering other requests at once."""

from __future__ import annotations

import asyncio
import statistics
import time

import httpx
from fastapi import FastAPI

from tests.realservers import bound_socket, run_asgi


async def test_create_actors__healthz_answers_meanwhile(app: FastAPI, admin_token: str) -> None:
    # Given the app served on a real socket
    sock = bound_socket()
    base_url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    latencies: list[float] = []
    async with (
        run_asgi(app, sock),
        httpx.AsyncClient(base_url=base_url, timeout=30) as http,
        # a new connection per probe: what is measured is the server, not TCP's delayed ACKs
        # on a kept-alive loopback connection (they add ~40 ms to each request of httpx's)
        httpx.AsyncClient(
            base_url=base_url, timeout=30, limits=httpx.Limits(max_keepalive_connections=0)
        ) as prober,
    ):
        created = asyncio.Event()

        async def probe() -> None:
            while not created.is_set():
                started = time.perf_counter()
                assert (await prober.get("/healthz")).status_code == 200
                latencies.append(time.perf_counter() - started)
                await asyncio.sleep(0.005)

        async def create(number: int) -> int:
            response = await http.post(
                "/api/v1/actors",
                json={"username": f"coop{number}", "name": f"Coop {number}"},
                headers={"Authorization": f"Bearer {admin_token}"},
            )
            return response.status_code

        # When 20 actors are created concurrently, while /healthz is asked again and again
        probing = asyncio.create_task(probe())
        statuses = await asyncio.gather(*(create(n) for n in range(20)))
        created.set()
        await probing

    # Then every actor was created, and /healthz kept answering within 50 ms at the 99th
    # percentile (RSA key generation on the event loop held it ~50 ms per actor)
    assert statuses == [201] * 20
    assert len(latencies) >= 20
    p99 = statistics.quantiles(latencies, n=100)[98]
    assert p99 < 0.050, f"/healthz p99 {p99 * 1000:.1f} ms over {len(latencies)} probes"
