"""Benchmarks of the three hot paths, each as a ratio to the machine's limit in the same run.

Run ``python -m bench`` (``--quick`` for a run under three minutes); see docs/performance.md.
Every scenario talks to 127.0.0.1 only and is bounded in requests and time.
"""

from __future__ import annotations

__all__: list[str] = []
