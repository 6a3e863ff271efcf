"""``python -m bench [--quick] [--json FILE] [--only SCENARIO ...] [--backend NAME ...]``."""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

from bench.database import backends, scratch_database
from bench.fanout import Case, Fanout
from bench.inbox import Inbox, InboxSizes
from bench.pages import Pages
from bench.processes import free_port, python, running
from bench.processing import Processing
from bench.reads import Reads, ReadSizes
from bench.report import Report
from bench.scale import Scale, ScaleCase
from bench.search import Search, SearchSizes

SCENARIOS = ("fanout", "inbox", "reads", "scale", "search", "pages", "processing")


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller sizes, under 3 minutes")
    parser.add_argument("--json", type=Path, help="also write every figure to this file")
    parser.add_argument("--only", nargs="+", choices=SCENARIOS, default=list(SCENARIOS))
    parser.add_argument("--backend", nargs="+", choices=("sqlite", "postgresql"))
    parser.add_argument("--concurrency", type=int, default=32, help="deliveries in flight")
    parser.add_argument("--keep", action="store_true", help="keep the work folder (logs)")
    return parser.parse_args()


def main() -> None:
    """Run the chosen scenarios on every backend and print figures and ratios."""
    args = _arguments()
    chosen = [b for b in backends() if not args.backend or b in args.backend]
    report = Report(quick=args.quick)
    started = time.monotonic()
    work = Path(tempfile.mkdtemp(prefix="communs-bench-"))
    print(f"work folder (logs, SQLite files): {work}; backends: {', '.join(chosen)}")
    receiver_port = free_port()
    with running(
        "receiver", python("-m", "bench.receiver", str(receiver_port)), {}, work, port=receiver_port
    ):
        fanout = Fanout(
            report,
            work,
            receiver_port=receiver_port,
            concurrency=args.concurrency,
            wait_seconds=12.0 if args.quick else 120.0,
        )
        if "inbox" in args.only:
            sizes = (
                InboxSizes(signers=200, keys=8, requests=3000, open_seconds=3.0, closed_seconds=6.0)
                if args.quick
                else InboxSizes(signers=1000, keys=32, requests=10_000, open_seconds=8.0)
            )
            inbox = Inbox(report, work, sizes)
        reads = Reads(report, work, ReadSizes(seconds=2.5 if args.quick else 8.0))
        scale = Scale(report, work)
        processing = Processing(
            report, work, receiver_port=receiver_port, seconds=10.0 if args.quick else 30.0
        )
        pages = Pages(report, work, ReadSizes(seconds=2.5 if args.quick else 8.0))
        search = Search(report, work, SearchSizes(seconds=1.0 if args.quick else 3.0))
        for backend in chosen:
            with scratch_database(backend, work) as url:
                if "fanout" in args.only:
                    cases = [Case(1000), Case(1000, shared=10)]
                    if not args.quick:
                        cases += [Case(10_000), Case(10_000, shared=10)]
                    fanout.run(backend, url, cases)
                if "inbox" in args.only:
                    inbox.run(backend, url)
                if "reads" in args.only:
                    reads.run(backend, url)
                if "scale" in args.only:
                    size = 20_000 if args.quick else 100_000
                    cases = [ScaleCase(size), ScaleCase(size, shared=1000)]
                    if backend == "postgresql":
                        cases.append(ScaleCase(20_000, analyze=False))
                    scale.run(backend, url, cases)
            if "processing" in args.only:  # databases of its own, one per deployment
                processing.run(backend)
            if "pages" in args.only:
                with scratch_database(backend, work) as url:
                    pages.run(backend, url)
            if "search" in args.only:  # a database of its own: 110 000 rows
                with scratch_database(backend, work) as url:
                    search.run(backend, url)
    print(f"\ntotal {time.monotonic() - started:.0f} s")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    if args.json:
        report.save(args.json)


if __name__ == "__main__":
    main()
