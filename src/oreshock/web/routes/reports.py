"""A stored run's report, as JSON for the dashboard and as the standalone HTML page."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, Response

from oreshock.core.serialize import json_safe as clean
from oreshock.impact.assessment import shown_record
from oreshock.report.builder import pdf_bytes, render_html
from oreshock.web.schemas import NOT_FINISHED, Lang, RunId
from oreshock.web.service import ServiceDep

router = APIRouter(tags=["runs"])
TableQ = Annotated[
    str | None, Query(description="A bundled input-output table (default: the newest).")
]
PaperQ = Annotated[
    Literal["a4", "letter"], Query(description="Paper the page is sized for when printed.")
]
MethodQ = Annotated[
    Literal["dynamic", "leontief", "ghosh", "direct"], Query(description="Measure shown.")
]


@router.get("/api/runs/{run_id}/report", responses=NOT_FINISHED)
def run_report(run_id: RunId, svc: ServiceDep, lang: Lang = "en") -> dict[str, Any]:
    """The report's content (summary, analysis, SVG charts, assumptions, sources) as JSON."""
    return clean(svc.report(svc.resolve(run_id), lang))


@router.get("/api/runs/{run_id}/report.html", response_class=HTMLResponse, responses=NOT_FINISHED)
def run_report_html(
    run_id: RunId, svc: ServiceDep, lang: Lang = "en", paper: PaperQ = "a4"
) -> HTMLResponse:
    """The same report as a standalone HTML page (what `oreshock report` writes), its CSS
    ``@page`` sized for ``paper`` so a browser prints it on A4 or Letter."""
    return HTMLResponse(render_html(run_report(run_id, svc, lang), paper))


PDF: dict[int | str, dict[str, Any]] = {
    200: {"content": {"application/pdf": {}}, "description": "The report printed to PDF"}
}


def pdf_response(html: str, name: str) -> Response:
    """HTML printed to PDF by the server's headless Chromium, as a download named ``name``."""
    return Response(
        pdf_bytes(html),
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get(
    "/api/runs/{run_id}/report.pdf", response_class=Response, responses={**NOT_FINISHED, **PDF}
)
def run_report_pdf(
    run_id: RunId, svc: ServiceDep, lang: Lang = "en", paper: PaperQ = "a4"
) -> Response:
    """The report as a PDF on ``paper`` (what `oreshock report --format pdf` writes), printed
    by the server's Chromium: a few seconds."""
    html = render_html(run_report(run_id, svc, lang), paper)
    return pdf_response(html, f"oreshock-{run_id}-{lang}.pdf")


@router.get("/api/runs/{run_id}/impact", responses=NOT_FINISHED)
def run_impact(
    run_id: RunId, svc: ServiceDep, table: TableQ = None, method: MethodQ = "dynamic"
) -> dict[str, Any]:
    """The run's stored impact on output and GDP (as `oreshock impact --json`): 404 until
    it has been computed (`POST` here, or `oreshock impact`, or `run --impact`)."""
    return clean(shown_record(svc.impact(svc.resolve(run_id), table), method))


@router.post("/api/runs/{run_id}/impact", responses=NOT_FINISHED)
def compute_run_impact(
    run_id: RunId, svc: ServiceDep, table: TableQ = None, method: MethodQ = "dynamic"
) -> dict[str, Any]:
    """Compute the run's impact on a bundled table (simulating the stored run again, a few
    seconds), store it with the run and return it."""
    return clean(shown_record(svc.compute_impact(svc.resolve(run_id), table), method))
