"""Start ensembles, follow their jobs and read the stored ones: ``oreshock ensemble`` and
``oreshock ensembles list|show`` over HTTP.

An ensemble is a job of the run queue (``web.jobs``, kind ``ensemble``): its state is in the
store's jobs table and its batches under the store's ``ensembles/`` folder, so a restart loses
neither, and ``GET /api/ensembles/{id}`` answers with the job's status and progress until it
is done, then with the ensemble's page as JSON (by the job's id or the ensemble's own).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from oreshock.store.jobs import ENSEMBLE
from oreshock.web.routes.jobs import job_or_stored, pending_and_stored
from oreshock.web.schemas import ERRORS, EnsembleCreated, EnsembleId, EnsembleRequest, Lang
from oreshock.web.service import ServiceDep

router = APIRouter(tags=["ensembles"])

FailQ = Annotated[
    str | None,
    Query(min_length=3, max_length=100, description="OUTCOME>VALUE or OUTCOME<VALUE (--fail)"),
]


@router.post(
    "/api/ensembles",
    status_code=202,
    response_model=EnsembleCreated,
    responses={
        **ERRORS,
        400: {"description": "Body is not JSON"},
        413: {"description": "Body too large"},
        429: {"description": "Too many jobs waiting"},
    },
)
def start_ensemble(req: EnsembleRequest, svc: ServiceDep) -> EnsembleCreated:
    """Validate the request as `oreshock ensemble` validates its options (scenario, variant,
    runs, method, parameters, target, failure rule), queue it and answer at once with its
    job's id and the ensemble's (the same request resumes the same ensemble)."""
    job, ensemble_id = svc.submit_ensemble(req)
    return EnsembleCreated(
        id=job.id, status=job.status, url=f"/api/ensembles/{job.id}", ensemble_id=ensemble_id
    )


@router.get("/api/ensembles", responses={503: ERRORS[503]})
def list_ensembles(svc: ServiceDep) -> list[dict[str, Any]]:
    """Ensembles still queued or running as jobs, then the stored ones (as `oreshock
    ensembles list --json`, without the server's folder)."""
    stored, pending = svc.list_ensembles()
    return pending_and_stored(ENSEMBLE, pending, stored, keep_status=True)


@router.get("/api/ensembles/{ensemble_id}", responses=ERRORS)
def get_ensemble(
    ensemble_id: EnsembleId, svc: ServiceDep, lang: Lang = "en", fail: FailQ = None
) -> dict[str, Any]:
    """Status and progress; when done, the ensemble's page as JSON: percentiles of every
    outcome (names in ``lang``), the failure probability under ``fail`` (else the rule the
    job was started with, else the default), PRIM boxes, Sobol indices for a Sobol sample,
    and the share of runs short at each month of the horizon."""
    job = svc.jobs.get(ensemble_id, ENSEMBLE)
    if fail is None and job is not None:
        fail = svc.ensemble_rule(job)

    def read(stored_id: str) -> dict[str, Any]:
        return svc.ensemble(stored_id, lang, fail=fail)

    return job_or_stored(svc, ENSEMBLE, ensemble_id, read)
