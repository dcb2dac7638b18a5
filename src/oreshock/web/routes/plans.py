"""Start plans, follow their jobs and read the stored plans: ``oreshock plan`` and
``oreshock plans list|show`` over HTTP.

A plan is a job of the run queue (``web.jobs``): its state is in the store's jobs table, so a
restart loses none, and ``GET /api/plans/{id}`` answers with its status and progress until it
is done, then with the stored plan (by the job's id or the plan's own).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response

from oreshock.core.serialize import json_safe as clean
from oreshock.report.plan import render_plan_html
from oreshock.store.jobs import PLAN
from oreshock.web.routes.jobs import job_or_stored, pending_and_stored
from oreshock.web.routes.reports import PDF, PaperQ, pdf_response
from oreshock.web.schemas import ERRORS, Lang, PlanCreated, PlanId, PlanRequest
from oreshock.web.service import ServiceDep

router = APIRouter(tags=["plans"])


@router.post(
    "/api/plans",
    status_code=202,
    response_model=PlanCreated,
    responses={
        **ERRORS,
        400: {"description": "Body is not JSON"},
        413: {"description": "Body too large"},
        429: {"description": "Too many jobs waiting"},
    },
)
def start_plan(req: PlanRequest, svc: ServiceDep) -> PlanCreated:
    """Validate the scenario, its plan: block, the members and the sizes, queue the plan and
    answer at once with its job's id."""
    job = svc.submit_plan(req)
    return PlanCreated(id=job.id, status=job.status, url=f"/api/plans/{job.id}")


@router.get("/api/plans")
def list_plans(svc: ServiceDep) -> list[dict[str, Any]]:
    """Plans still queued or running, then the stored ones (as `oreshock plans list
    --json`)."""
    stored, pending = svc.list_plans()
    return pending_and_stored(PLAN, pending, stored)


@router.get("/api/plans/{plan_id}", responses=ERRORS)
def get_plan(plan_id: PlanId, svc: ServiceDep) -> dict[str, Any]:
    """Status and progress; when done, the stored plan as `oreshock plans show --json`: the
    record of `oreshock plan --json`, its provenance and content hash, with the record's
    ``status`` (of the solution: optimal) as ``solution_status``, since ``status`` is the
    job's here."""

    def read(stored_id: str) -> dict[str, Any]:
        record = svc.plan(stored_id)
        record["solution_status"] = record.pop("status")
        return record

    return job_or_stored(svc, PLAN, plan_id, read)


@router.get("/api/plans/{plan_id}/report", responses=ERRORS)
def plan_report(plan_id: PlanId, svc: ServiceDep, lang: Lang = "en") -> dict[str, Any]:
    """The plan's report content (items, shares, checks and SVG charts, names in ``lang``)
    as JSON: the dashboard's plan page reads it."""
    return clean(svc.plan_report(plan_id, lang))


@router.get("/api/plans/{plan_id}/report.html", response_class=HTMLResponse, responses=ERRORS)
def plan_report_html(
    plan_id: PlanId, svc: ServiceDep, lang: Lang = "en", paper: PaperQ = "a4"
) -> HTMLResponse:
    """The same report as a standalone HTML page (what `oreshock plan --report` writes),
    sized for ``paper`` (a4 or letter) when printed."""
    return HTMLResponse(render_plan_html(svc.plan_report(plan_id, lang), paper))


@router.get("/api/plans/{plan_id}/report.pdf", response_class=Response, responses={**ERRORS, **PDF})
def plan_report_pdf(
    plan_id: PlanId, svc: ServiceDep, lang: Lang = "en", paper: PaperQ = "a4"
) -> Response:
    """The plan's report as a PDF on ``paper`` (what `oreshock plan --report plan.pdf`
    writes), printed by the server's Chromium."""
    html = render_plan_html(svc.plan_report(plan_id, lang), paper)
    return pdf_response(html, f"oreshock-plan-{plan_id}-{lang}.pdf")
