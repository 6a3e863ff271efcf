"""Nothing blocks the event loop: while actors are created (an RSA key each), the server keeps
answering other requests at once."""

from __future__ import annotations

import asyncio
import os
import statistics
import time

import httpx
from fastapi import FastAPI

from tests.realservers import bound_socket, run_asgi


async def _probe(prober: httpx.AsyncClient, latencies: list[float], until: asyncio.Event) -> None:
    """Ask ``/healthz`` again and again until ``until`` is set, recording each latency."""
    while not until.is_set():
        started = time.perf_counter()
        assert (await prober.get("/healthz")).status_code == 200
        latencies.append(time.perf_counter() - started)
        await asyncio.sleep(0.005)


def _p99(latencies: list[float]) -> float:
    return statistics.quantiles(latencies, n=100)[98]


async def test_create_actors__healthz_answers_meanwhile(app: FastAPI, admin_token: str) -> None:
    # Given the app served on a real socket, and /healthz's latency on this machine when idle
    sock = bound_socket()
    base_url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    idle: list[float] = []
    busy: list[float] = []
    async with (
        run_asgi(app, sock),
        httpx.AsyncClient(base_url=base_url, timeout=30) as http,
        # a new connection per probe: what is measured is the server, not TCP's delayed ACKs
        # on a kept-alive loopback connection (they add ~40 ms to each request of httpx's)
        httpx.AsyncClient(
            base_url=base_url, timeout=30, limits=httpx.Limits(max_keepalive_connections=0)
        ) as prober,
    ):
        done = asyncio.Event()
        asyncio.get_running_loop().call_later(0.5, done.set)
        await _probe(prober, idle, done)

        async def create(number: int) -> int:
            response = await http.post(
                "/api/v1/actors",
                json={"username": f"coop{number}", "name": f"Coop {number}"},
                headers={"Authorization": f"Bearer {admin_token}"},
            )
            return response.status_code

        # When 20 actors are created concurrently, while /healthz is asked again and again
        done = asyncio.Event()
        probing = asyncio.create_task(_probe(prober, busy, done))
        statuses = await asyncio.gather(*(create(n) for n in range(20)))
        done.set()
        await probing

    # Then every actor was created, and /healthz kept answering: p99 under 50 ms, or three
    # times its idle p99 when that is larger (RSA key generation on the event loop held it
    # ~40 ms per actor). Latency says nothing about our loop on a machine loaded beyond its
    # cores (other suites, benchmarks), so it is checked when the machine has a core to spare,
    # as on CI.
    assert statuses == [201] * 20
    assert len(busy) >= 20
    if os.getloadavg()[0] < (os.cpu_count() or 1):
        bound = max(0.050, 3 * _p99(idle))
        assert _p99(busy) < bound, f"p99 {_p99(busy) * 1000:.1f} ms > {bound * 1000:.1f} ms"
