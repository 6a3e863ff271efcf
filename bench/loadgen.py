"""A closed- or open-loop HTTP/1.1 load generator on raw asyncio streams (no dependency).

Run as ``python -m bench.loadgen SPEC`` where SPEC is a pickle of ``LoadSpec``; prints one JSON
line of results. Requests are complete pre-built HTTP/1.1 messages sent on keep-alive
connections, so the generator spends its CPU on sockets, not on building requests: it is
several times lighter than an HTTP client library, which matters on a 2-core machine where it
shares the CPU with the server it measures.

Closed loop (``rate`` None): each connection sends its next request when the previous answer
is read. Open loop (``rate`` requests/s overall): request *i* is due at ``start + i / rate``
and its latency counts from that moment, so a server falling behind shows in the latencies
instead of slowing the generator down (no coordinated omission).
"""

from __future__ import annotations

import asyncio
import json
import pickle
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.eventloop import run

__all__ = ["LoadSpec", "generate", "load", "percentile"]


@dataclass(frozen=True)
class LoadSpec:
    """What to send, where, how hard and for how long."""

    port: int
    requests: list[bytes]
    connections: int
    duration: float
    rate: float | None = None
    cycle: bool = True
    timeout: float = 30.0


def percentile(values: list[float], fraction: float) -> float:
    """Return the value below which ``fraction`` of the sorted ``values`` fall (0 when empty)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bool]:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    close = False
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        lowered = name.strip().lower()
        if lowered == b"content-length":
            length = int(value)
        elif lowered == b"connection" and value.strip().lower() == b"close":
            close = True
    if length:
        await reader.readexactly(length)
    return status, close


async def generate(spec: LoadSpec) -> dict[str, Any]:
    """Return requests sent, statuses, elapsed seconds, requests/s and latency percentiles."""
    total = len(spec.requests)
    latencies: list[float] = []
    late: list[float] = []  # open loop: how long after its due time each request went out
    statuses: Counter[int] = Counter()
    streams = [
        await asyncio.open_connection("127.0.0.1", spec.port) for _ in range(spec.connections)
    ]
    next_index = 0
    start = time.perf_counter()
    deadline = start + spec.duration
    finished = start

    async def loop(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal next_index, finished
        while True:
            index = next_index
            if (not spec.cycle and index >= total) or time.perf_counter() >= deadline:
                break
            next_index += 1
            sent_at = time.perf_counter()
            if spec.rate is not None:
                due = start + index / spec.rate
                if due > sent_at:
                    await asyncio.sleep(due - sent_at)
                late.append(max(time.perf_counter() - due, 0.0))
                sent_at = due
            writer.write(spec.requests[index % total])
            status, close = await _read_response(reader)
            finished = time.perf_counter()
            latencies.append(finished - sent_at)
            statuses[status] += 1
            if close:
                writer.close()
                reader, writer = await asyncio.open_connection("127.0.0.1", spec.port)
        writer.close()

    await asyncio.wait_for(
        asyncio.gather(*(loop(r, w) for r, w in streams)), spec.duration + spec.timeout
    )
    elapsed = max(finished - start, 1e-9)
    opened = {"late_p99_ms": percentile(late, 0.99) * 1000} if spec.rate is not None else {}
    return {
        "requests": len(latencies),
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "elapsed": elapsed,
        "rps": len(latencies) / elapsed,
        "p50_ms": percentile(latencies, 0.50) * 1000,
        "p90_ms": percentile(latencies, 0.90) * 1000,
        "p99_ms": percentile(latencies, 0.99) * 1000,
        "max_ms": max(latencies, default=0.0) * 1000,
        **opened,
    }


def load(spec: LoadSpec, work_dir: Path) -> dict[str, Any]:
    """Return the results of running ``spec`` in a separate generator process."""
    path = work_dir / "load-spec.pickle"
    path.write_bytes(pickle.dumps(spec))
    done = subprocess.run(
        [sys.executable, "-m", "bench.loadgen", str(path)],
        capture_output=True,
        check=True,
        timeout=spec.duration + spec.timeout + 30,
    )
    result: dict[str, Any] = json.loads(done.stdout.splitlines()[-1])
    return result


def main() -> None:
    """Entry point: ``python -m bench.loadgen SPEC.pickle``; prints the results as JSON."""
    spec = pickle.loads(Path(sys.argv[1]).read_bytes())
    print(json.dumps(run(generate(spec))))


if __name__ == "__main__":
    main()
