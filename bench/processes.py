"""Child processes of a run: servers, receivers and load generators on 127.0.0.1.

Every child is started here, waited for on its port, measured (peak RSS from ``/proc``) and
stopped by its own pid, never by name.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from pathlib import Path

__all__ = [
    "ROOT",
    "Child",
    "communs",
    "free_port",
    "peak_rss_mb",
    "python",
    "reset_peak_rss",
    "running",
    "uvicorn_options",
]

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _children(pid: int) -> list[int]:
    """Return the pids of ``pid``'s descendants (uvicorn's worker processes)."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents.setdefault(int(fields[1]), []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        kids = parents.get(todo.pop(), [])
        found.extend(kids)
        todo.extend(kids)
    return found


def _status_kb(pid: int, field: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def peak_rss_mb(pid: int) -> float:
    """Return the peak resident memory (VmHWM) of ``pid`` plus its descendants, in MB."""
    return sum(_status_kb(p, "VmHWM") for p in [pid, *_children(pid)]) / 1024


def reset_peak_rss(pid: int) -> None:
    """Reset VmHWM of ``pid`` (0: this process) and its descendants to their current RSS."""
    for p in [pid, *_children(pid)] if pid else ["self"]:
        with suppress(OSError):
            Path(f"/proc/{p}/clear_refs").write_text("5")


class Child:
    """A started process whose output goes to a log file."""

    def __init__(self, name: str, args: list[str], env: Mapping[str, str], log_dir: Path) -> None:
        self.name = name
        self.log = log_dir / f"{name}.log"
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                args,
                env={**os.environ, **env},
                cwd=ROOT,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )

    @property
    def pid(self) -> int:
        return self.process.pid

    def wait_port(self, port: int, *, timeout: float = 60.0) -> None:
        """Return once ``port`` accepts connections; raises ``RuntimeError`` if the child died."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited: see {self.log}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"{self.name} did not listen on {port} within {timeout} s")

    def stop(self) -> None:
        """SIGTERM the child (uvicorn stops its workers), then SIGKILL after 10 s."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@contextmanager
def running(
    name: str, args: list[str], env: Mapping[str, str], log_dir: Path, *, port: int | None = None
) -> Iterator[Child]:
    """Run a child for the duration of the block, waiting for ``port`` when given."""
    child = Child(name, args, env, log_dir)
    try:
        if port is not None:
            child.wait_port(port)
        yield child
    finally:
        child.stop()


def python(*args: str) -> list[str]:
    """Return the command line running this interpreter with ``args``."""
    return [PYTHON, *args]


def communs(*args: str) -> list[str]:
    """Return the command line of the ``communs`` CLI with ``args``."""
    return python("-c", "from server.cli import main; main()", *args)


def uvicorn_options(port: int, workers: int = 1) -> list[str]:
    """Return uvicorn options matching ``communs serve`` (factory, no server header)."""
    return [
        "--factory",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--log-level",
        "warning",
        "--proxy-headers",
        "--no-server-header",
    ]
