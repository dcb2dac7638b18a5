"""The run queue seen from outside: jobs (queued, running, finished), cancelling one, and
the limits the service enforces; and how the runs and plans routes show a job beside what it
stored (``job_or_stored``, ``pending_and_stored``), so both answer alike."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from oreshock.core.errors import UnknownIdError
from oreshock.core.serialize import json_safe as clean
from oreshock.store.jobs import KINDS
from oreshock.web.jobs import Job
from oreshock.web.schemas import ERRORS, RunId
from oreshock.web.service import Service, ServiceDep

router = APIRouter(tags=["jobs"])
CANCEL_WAIT = 5.0
"""Seconds ``DELETE /api/jobs/{id}`` waits for a running job to stop before answering 202."""


@router.get("/api/limits")
def limits(svc: ServiceDep) -> dict[str, Any]:
    """Every bound the service enforces (body size, scenario size, queue, time, page)."""
    return svc.settings.limits()


@router.get("/api/jobs")
def pending_jobs(svc: ServiceDep) -> list[dict[str, Any]]:
    """Jobs queued or running on this database, oldest first."""
    return [job.public() for job in svc.jobs.pending()]


@router.get("/api/jobs/{job_id}", responses=ERRORS)
def get_job(job_id: RunId, svc: ServiceDep) -> dict[str, Any]:
    """One job, in any state: a failed or cancelled job says why in ``error``."""
    job = svc.jobs.get(job_id)
    if job is None:
        raise UnknownIdError(f"no job {job_id!r}; see /api/jobs")
    return job.public()


@router.delete(
    "/api/jobs/{job_id}",
    responses={**ERRORS, 202: {"description": "Still stopping"}, 409: {"description": "Done"}},
)
def cancel_job(job_id: RunId, svc: ServiceDep) -> JSONResponse:
    """Cancel a queued job, or stop a running one (at its next check, between
    minerals or allocation passes; a run being saved finishes):
    200 with the job once cancelled, 202 if it is still stopping, 409 if it had finished."""
    job = svc.jobs.wait(svc.jobs.cancel(job_id), CANCEL_WAIT)
    return JSONResponse(job.public(), status_code=202 if job.pending else 200)


def job_or_stored(
    svc: Service, kind: str, given: str, read: Callable[[str], dict[str, Any]]
) -> dict[str, Any]:
    """A job of ``kind`` still going (or failed) as it is; else what it stored, read by
    ``read`` from the job's stored id or from ``given`` itself (a stored run's or plan's
    own id), after the job's fields."""
    job = svc.jobs.get(given, kind)
    if job is not None and job.stored_id is None:
        return job.public()
    record = read(job.stored_id if job is not None and job.stored_id else given)
    shown = job.public() if job else {"id": given, "status": "done", "progress": 1.0}
    shown.update(clean(record))
    return shown


def pending_and_stored(
    kind: str, pending: list[Job], stored: list[dict[str, Any]], *, keep_status: bool = False
) -> list:
    """The jobs of ``kind`` still going, then every stored one as done (its id as ``id``);
    ``keep_status`` keeps a stored row's own status (an ensemble may be partial)."""
    column = KINDS[kind]
    for row in stored:
        if not keep_status or "status" not in row:
            row["status"] = "done"
        row["id"] = row[column]
    return [job.public() for job in pending] + clean(stored)
