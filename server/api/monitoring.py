"""Monitoring: ``/healthz`` (alive), ``/readyz`` (the database can serve) and ``/metrics``.

``/metrics`` gives Prometheus this process's counters and the queues by state; the queue depth
is read from the database at scrape time, so it is the same from any process.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import func, select

from server.http.deps import SessionDep, StateDep
from server.http.responses import error_response
from server.metrics import REGISTRY
from server.storage.models import Activity, Delivery
from server.storage.readiness import unready

__all__ = ["router"]

router = APIRouter(include_in_schema=False)


def _gauge_lines(name: str, help_text: str, values: dict[str, int]) -> str:
    lines = [f"# HELP {name} {help_text}", f"# TYPE {name} gauge"]
    lines += [f'{name}{{state="{state}"}} {count}' for state, count in sorted(values.items())]
    return "\n".join(lines) + "\n"


@router.get("/metrics")
async def metrics(session: SessionDep) -> Response:
    """Counters of this process, and the delivery and inbox queues by state."""
    deliveries: dict[str, int] = dict(
        (await session.execute(select(Delivery.state, func.count()).group_by(Delivery.state))).all()
    )
    incoming: dict[str, int] = dict(
        (
            await session.execute(
                select(Activity.state, func.count())
                .where(Activity.direction == "in")
                .group_by(Activity.state)
            )
        ).all()
    )
    body = generate_latest(REGISTRY).decode()
    body += _gauge_lines("communs_deliveries", "Deliveries by state.", deliveries)
    body += _gauge_lines("communs_incoming_activities", "Incoming activities by state.", incoming)
    return Response(body, media_type=CONTENT_TYPE_LATEST)


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """Answer 200 while the process serves: a liveness probe, which touches no database (a
    busy database must not make a supervisor restart a process that is working)."""
    return {"status": "ok"}


@router.get("/readyz")
async def readyz(state: StateDep) -> Response:
    """Answer 200 when the database is reachable, writable and migrated to the newest
    revision; 503 with the reason otherwise (the Docker health check)."""
    problem = await unready(state.db)
    if problem is not None:
        return error_response(503, problem, {"Retry-After": "10"})
    return JSONResponse({"status": "ready"})
