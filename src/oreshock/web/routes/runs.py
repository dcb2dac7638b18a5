"""Start runs, follow their jobs, and read stored runs' tables and summaries."""

from __future__ import annotations

from typing import Annotated, Any

import pandas as pd
from fastapi import APIRouter, HTTPException, Query

from oreshock.core.serialize import json_safe as clean
from oreshock.core.serialize import records as frame_records
from oreshock.model.coverage import mark_rows
from oreshock.web.schemas import (
    ERRORS,
    NOT_FINISHED,
    FilterQ,
    Iso3Filter,
    RunCreated,
    RunId,
    RunRequest,
)
from oreshock.web.service import Service, ServiceDep

router = APIRouter(tags=["runs"])
HEX = frozenset("0123456789abcdef")


def where(df: pd.DataFrame, **equal: str | None) -> pd.DataFrame:
    """Rows whose columns equal the given values; a filter not given matches every row."""
    for column, value in equal.items():
        if value:
            df = df[df[column] == value]
    return df


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
        429: {"description": "Too many runs waiting"},
    },
)
def start_run(req: RunRequest, svc: ServiceDep) -> RunCreated:
    """Validate the scenario, queue the run and answer at once with its id."""
    job = svc.submit(req)
    return RunCreated(id=job.id, status=job.status, url=f"/api/runs/{job.id}")


@router.get("/api/runs")
def list_runs(svc: ServiceDep) -> list[dict[str, Any]]:
    """Stored runs (as `oreshock runs list --json`) and runs still in progress."""
    stored = frame_records(svc.list_runs())
    done = {r["run_id"] for r in stored}
    for row in stored:
        row["status"] = "done"
        row["id"] = row["run_id"]
    pending = [j.public() for j in svc.jobs.all() if j.run_id not in done or j.run_id is None]
    return pending + stored


@router.get("/api/runs/{run_id}", responses=ERRORS)
def get_run(run_id: RunId, svc: ServiceDep) -> dict[str, Any]:
    """Status and progress; when done, the record and summary of `oreshock runs show --json`,
    each summary row with its coverage ``status`` and the run's ``coverage`` notes."""
    job = svc.jobs.get(run_id)
    if job is not None and job.run_id is None:
        return job.public()
    record = svc.record(job.run_id if job and job.run_id else run_id)
    record["summary"] = mark_rows(record["summary"], record["coverage"])
    out = job.public() if job else {"id": run_id, "status": "done", "progress": 1.0}
    out.update(clean(record))
    return out


@router.get("/api/runs/{run_id}/timeseries", responses=NOT_FINISHED)
def run_timeseries(
    run_id: RunId,
    svc: ServiceDep,
    country: Iso3Filter = None,
    mineral: FilterQ = None,
    stage: FilterQ = None,
    variable: FilterQ = None,
) -> list[dict[str, Any]]:
    """Monthly paths: month, country, mineral, stage, variable, value (filterable)."""
    df = svc.read("timeseries", svc.resolve(run_id))
    df = where(df, country=upper(country), mineral=mineral, stage=stage, variable=variable)
    return frame_records(df)


@router.get("/api/runs/{run_id}/flows", responses=NOT_FINISHED)
def run_flows(
    run_id: RunId,
    svc: ServiceDep,
    importer: Iso3Filter = None,
    exporter: Iso3Filter = None,
    mineral: FilterQ = None,
    stage: FilterQ = None,
) -> list[dict[str, Any]]:
    """Shipments: month, mineral, stage, exporter, importer, origin, value (filterable)."""
    df = svc.read("flows", svc.resolve(run_id))
    df = where(df, importer=upper(importer), exporter=upper(exporter), mineral=mineral, stage=stage)
    return frame_records(df)


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
        "summary": rows,
        "coverage": record["coverage"],
    }


@router.get("/api/compare", responses=ERRORS)
def compare(
    ids: Annotated[list[str], Query(min_length=2, max_length=6)],
    svc: ServiceDep,
    country: Iso3Filter = None,
) -> dict[str, Any]:
    """Side-by-side summaries of stored runs (as `oreshock runs compare --json`)."""
    return clean({"runs": [_side(svc, rid, country) for rid in ids]})
