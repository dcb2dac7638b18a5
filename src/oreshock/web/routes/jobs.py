"""The run queue seen from outside: jobs (queued, running, finished), cancelling one, and
the limits the service enforces."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from oreshock.core.errors import UnknownIdError
from oreshock.web.schemas import ERRORS, RunId
from oreshock.web.service import ServiceDep

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
