"""Start runs, follow their jobs, read stored runs' tables and summaries, delete runs.

The long tables (time series, flows) come a page at a time: ``limit`` rows (at most
``Settings.page_rows``) from ``offset``, in a fixed order, with the total in
``X-Total-Count`` and the next page in a ``Link: <...>; rel="next"`` header, so one request
stays small whatever the run. The whole table, filtered or not, is a Parquet download
(``timeseries.parquet``, ``flows.parquet``).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import date
from typing import Annotated, Any, BinaryIO

from fastapi import APIRouter, HTTPException, Query, Request, Response
from fastapi.responses import StreamingResponse

from oreshock.core.serialize import json_safe as clean
from oreshock.model.coverage import mark_rows
from oreshock.report.comparison import mismatch_notes
from oreshock.store.jobs import RUN
from oreshock.web import series
from oreshock.web.routes.jobs import job_or_stored
from oreshock.web.schemas import (
    ERRORS,
    NOT_FINISHED,
    PAGE,
    FilterQ,
    Iso3Filter,
    LabelQ,
    LimitQ,
    OffsetQ,
    RunCreated,
    RunId,
    RunRequest,
    ScenarioNameQ,
)
from oreshock.web.service import Filters, Service, ServiceDep

router = APIRouter(tags=["runs"])
HEX = frozenset("0123456789abcdef")
CHUNK = 1 << 20
PARQUET = {200: {"content": {"application/vnd.apache.parquet": {}}}, **NOT_FINISHED}


def upper(code: str | None) -> str | None:
    """ISO3 filters match in any case; the tables store upper case."""
    return code.upper() if code else code


@router.post(
    "/api/runs",
    status_code=202,
    response_model=RunCreated,
    responses={
        **ERRORS,
        400: {"description": "Body is not JSON"},
        413: {"description": "Body too large"},
        429: {"description": "Too many runs waiting"},
    },
)
def start_run(req: RunRequest, svc: ServiceDep) -> RunCreated:
    """Validate the scenario, queue the run and answer at once with its id."""
    job = svc.submit(req)
    return RunCreated(id=job.id, status=job.status, url=f"/api/runs/{job.id}")


@router.get("/api/runs", responses={422: ERRORS[422], 503: ERRORS[503]})
def list_runs(
    svc: ServiceDep,
    scenario: ScenarioNameQ = None,
    label: LabelQ = None,
    since: Annotated[date | None, Query(description="only runs stored on or after (UTC)")] = None,
) -> list[dict[str, Any]]:
    """Runs still queued or running, then the stored ones (as `oreshock runs list --json`,
    with each run's label and horizon in months); only those of ``scenario``, whose label
    contains ``label`` (any case) and stored on or after ``since``, when given."""
    stored, pending = svc.list_runs(scenario, label, since)
    for row in stored:
        row["status"] = "done"
        row["id"] = row["run_id"]
    return pending + clean(stored)


@router.get("/api/runs/{run_id}", responses=ERRORS)
def get_run(run_id: RunId, svc: ServiceDep) -> dict[str, Any]:
    """Status and progress; when done, the record and summary of `oreshock runs show --json`,
    each summary row with its coverage ``status`` and the run's ``coverage`` notes."""

    def read(stored_id: str) -> dict[str, Any]:
        record = svc.record(stored_id)
        record["summary"] = mark_rows(record["summary"], record["coverage"])
        return record

    return job_or_stored(svc, RUN, run_id, read)


def _page(
    request: Request,
    svc: Service,
    table: series.Table,
    run_or_job: str,
    filters: Filters,
    limit: int | None,
    offset: int,
) -> Response:
    """One page of a long table as JSON, with its total and the next page in headers."""
    run_id = svc.resolve(run_or_job)
    limit = min(limit or svc.settings.page_rows, svc.settings.page_rows)
    total, body = svc.page(table, run_id, filters, limit, offset)
    headers = {"X-Total-Count": str(total)}
    if offset + limit < total:
        following = request.url.include_query_params(offset=offset + limit, limit=limit)
        headers["Link"] = f'<{following.path}?{following.query}>; rel="next"'
    return Response(body, media_type="application/json", headers=headers)


def _chunks(handle: BinaryIO) -> Iterator[bytes]:
    with handle:
        while chunk := handle.read(CHUNK):
            yield chunk


def _parquet(svc: Service, table: series.Table, run_or_job: str, filters: Filters) -> Response:
    """The whole (filtered) table as a Parquet file, streamed from an unlinked temporary."""
    run_id = svc.resolve(run_or_job)
    handle = svc.parquet(table, run_id, filters)
    size = os.fstat(handle.fileno()).st_size
    name = f"oreshock-{run_id}-{table}.parquet"
    return StreamingResponse(
        _chunks(handle),
        media_type="application/vnd.apache.parquet",
        headers={
            "Content-Length": str(size),
            "Content-Disposition": f'attachment; filename="{name}"',
        },
    )


def _series_filters(
    country: str | None, mineral: str | None, stage: str | None, variable: str | None
) -> Filters:
    return {"country": upper(country), "mineral": mineral, "stage": stage, "variable": variable}


def _flow_filters(
    importer: str | None, exporter: str | None, mineral: str | None, stage: str | None
) -> Filters:
    return {
        "importer": upper(importer),
        "exporter": upper(exporter),
        "mineral": mineral,
        "stage": stage,
    }


@router.get("/api/runs/{run_id}/timeseries", responses={**NOT_FINISHED, **PAGE})
def run_timeseries(
    run_id: RunId,
    request: Request,
    svc: ServiceDep,
    country: Iso3Filter = None,
    mineral: FilterQ = None,
    stage: FilterQ = None,
    variable: FilterQ = None,
    limit: LimitQ = None,
    offset: OffsetQ = 0,
) -> Response:
    """Monthly paths: month, country, mineral, stage, variable, value (filterable), one
    page at a time (``X-Total-Count``, ``Link: rel="next"``). ``variable=price`` (USD/kg)
    and ``variable=price_index`` rows hold the price region in ``country``: CHN inside
    China, ROW outside."""
    filters = _series_filters(country, mineral, stage, variable)
    return _page(request, svc, "timeseries", run_id, filters, limit, offset)


@router.get("/api/runs/{run_id}/timeseries.parquet", response_class=Response, responses=PARQUET)
def run_timeseries_parquet(
    run_id: RunId,
    svc: ServiceDep,
    country: Iso3Filter = None,
    mineral: FilterQ = None,
    stage: FilterQ = None,
    variable: FilterQ = None,
) -> Response:
    """Every (filtered) row of the monthly paths as one Parquet file."""
    return _parquet(svc, "timeseries", run_id, _series_filters(country, mineral, stage, variable))


@router.get("/api/runs/{run_id}/flows", responses={**NOT_FINISHED, **PAGE})
def run_flows(
    run_id: RunId,
    request: Request,
    svc: ServiceDep,
    importer: Iso3Filter = None,
    exporter: Iso3Filter = None,
    mineral: FilterQ = None,
    stage: FilterQ = None,
    limit: LimitQ = None,
    offset: OffsetQ = 0,
) -> Response:
    """Shipments: month, mineral, stage, exporter, importer, origin, value (filterable), one
    page at a time (``X-Total-Count``, ``Link: rel="next"``)."""
    filters = _flow_filters(importer, exporter, mineral, stage)
    return _page(request, svc, "flows", run_id, filters, limit, offset)


@router.get("/api/runs/{run_id}/flows.parquet", response_class=Response, responses=PARQUET)
def run_flows_parquet(
    run_id: RunId,
    svc: ServiceDep,
    importer: Iso3Filter = None,
    exporter: Iso3Filter = None,
    mineral: FilterQ = None,
    stage: FilterQ = None,
) -> Response:
    """Every (filtered) shipment as one Parquet file."""
    return _parquet(svc, "flows", run_id, _flow_filters(importer, exporter, mineral, stage))


@router.delete("/api/runs/{run_id}", status_code=204, responses=NOT_FINISHED)
def delete_run(run_id: RunId, svc: ServiceDep) -> Response:
    """Delete a stored run (by its id or its job's) and its tables; 409 while it runs."""
    svc.delete_run(run_id)
    return Response(status_code=204)


def _side(svc: Service, run_or_job: str, country: str | None) -> dict[str, Any]:
    """One run's column of a comparison, its summary cut to ``country`` if given."""
    if not (len(run_or_job) == 12 and set(run_or_job) <= HEX):
        raise HTTPException(422, f"ids: {run_or_job!r} is not a run id (12 hex digits)")
    record = svc.record(svc.resolve(run_or_job))
    rows = mark_rows(record["summary"], record["coverage"])
    if country:
        rows = [r for r in rows if r["country"] == country.upper()]
    return {
        "run_id": record["run_id"],
        "scenario": record["scenario"],
        "variant": record["variant"],
        "months": record["months"],
        "label": record.get("label"),
        "dataset_name": record.get("dataset_name"),
        "dataset_version": record.get("dataset_version"),
        "dataset_hash": record.get("dataset_hash"),
        "summary": rows,
        "coverage": record["coverage"],
    }


@router.get("/api/compare", responses=ERRORS)
def compare(
    ids: Annotated[list[str], Query(min_length=2, max_length=6)],
    svc: ServiceDep,
    country: Iso3Filter = None,
) -> dict[str, Any]:
    """Side-by-side summaries of stored runs (as `oreshock runs compare --json`), and
    ``notes`` (English and Japanese) when their horizons or datasets differ."""
    sides = [_side(svc, rid, country) for rid in ids]
    return clean({"runs": sides, "notes": mismatch_notes(sides)})
