"""A stored run's report, as JSON for the dashboard and as the standalone HTML page."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from oreshock.core.serialize import json_safe as clean
from oreshock.report.builder import render_html
from oreshock.web.schemas import NOT_FINISHED, Lang, RunId
from oreshock.web.service import ServiceDep

router = APIRouter(tags=["runs"])


@router.get("/api/runs/{run_id}/report", responses=NOT_FINISHED)
def run_report(run_id: RunId, svc: ServiceDep, lang: Lang = "en") -> dict[str, Any]:
    """The report's content (summary, analysis, SVG charts, assumptions, sources) as JSON."""
    return clean(svc.report(svc.resolve(run_id), lang))


@router.get("/api/runs/{run_id}/report.html", response_class=HTMLResponse, responses=NOT_FINISHED)
def run_report_html(run_id: RunId, svc: ServiceDep, lang: Lang = "en") -> HTMLResponse:
    """The same report as a standalone HTML page (what `oreshock report` writes)."""
    return HTMLResponse(render_html(run_report(run_id, svc, lang)))
