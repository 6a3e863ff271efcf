"""Collecting figures and ratios, printing them as they come and saving them as JSON."""

from __future__ import annotations

import json
import platform
import time
from pathlib import Path
from typing import Any

__all__ = ["Report", "describe"]


class Report:
    """Figures by section; each ratio is printed with its target and whether it is met."""

    def __init__(self, *, quick: bool) -> None:
        self.data: dict[str, Any] = {
            "quick": quick,
            "started_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "python": platform.python_version(),
            "cpus": _cpus(),
            "sections": {},
        }

    def section(self, name: str) -> dict[str, Any]:
        """Return the (new) dict of a section, printing its title."""
        print(f"\n== {name}", flush=True)
        sections: dict[str, dict[str, Any]] = self.data["sections"]
        return sections.setdefault(name, {})

    @staticmethod
    def figure(section: dict[str, Any], key: str, value: Any, text: str) -> None:
        """Record ``value`` under ``key`` and print ``text``."""
        section[key] = value
        print(f"  {text}", flush=True)

    def limit(self, key: str, value: Any, text: str) -> None:
        """Record a limit figure (kept in the ``limits`` section) and print it where we are."""
        sections: dict[str, Any] = self.data["sections"]
        sections.setdefault("limits", {})[key] = value
        print(f"  LIMIT {text}", flush=True)

    @staticmethod
    def ratio(
        section: dict[str, Any],
        key: str,
        measured: float,
        limit: float,
        *,
        target: float,
        what: str,
    ) -> None:
        """Record and print ``measured / limit`` against a ``≥ target`` goal."""
        value = measured / limit if limit else 0.0
        met = value >= target
        section[key] = {"ratio": round(value, 3), "target": target, "met": met}
        verdict = "met" if met else "MISSED"
        print(
            f"  RATIO {what}: {measured:,.0f} / {limit:,.0f} = {value:.0%} "
            f"(target ≥ {target:.0%}: {verdict})",
            flush=True,
        )

    def save(self, path: Path) -> None:
        """Write every figure as JSON."""
        self.data["finished_at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        path.write_text(json.dumps(self.data, indent=2) + "\n")


def _cpus() -> int:
    import os

    return len(os.sched_getaffinity(0))


def describe(result: dict[str, Any]) -> str:
    """Return one line for a load generator result.

    An open loop's line also says how late the generator sent its requests (p99): a request
    goes out late when all its connections wait for answers, i.e. the server fell behind.
    """
    late = f", sent late p99 {result['late_p99_ms']:.1f} ms" if "late_p99_ms" in result else ""
    return (
        f"{result['requests']:,} requests in {result['elapsed']:.2f} s → {result['rps']:,.0f}/s, "
        f"p50 {result['p50_ms']:.1f} ms, p99 {result['p99_ms']:.1f} ms{late}, "
        f"statuses {result['statuses']}"
    )
