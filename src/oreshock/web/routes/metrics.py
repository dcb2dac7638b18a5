"""Dependency metrics of the dataset and network, each the JSON of a `oreshock metrics` command."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from oreshock.core.serialize import json_safe as clean
from oreshock.core.serialize import records as frame_records
from oreshock.model.metrics import concentration as conc
from oreshock.model.metrics import demand_share as share
from oreshock.model.metrics import dependency_table
from oreshock.model.metrics import exposure as expo
from oreshock.web.schemas import ERRORS, CountryQ, Iso3Filter, MineralQ, StageQ
from oreshock.web.service import ServiceDep

router = APIRouter(tags=["metrics"], responses=ERRORS)


@router.get("/api/metrics/concentration")
def concentration(
    mineral: MineralQ,
    stage: StageQ,
    svc: ServiceDep,
    year: Annotated[int | None, Query(ge=1900, le=2100)] = None,
) -> dict[str, Any]:
    """Producer shares, HHI, top-1 and top-3 (as `oreshock metrics concentration --json`)."""
    with svc.data() as (ds, _):
        result = conc(ds, mineral, stage, year).to_dict()
    result.pop("china_share")
    return clean(result)


@router.get("/api/metrics/exposure")
def exposure(
    country: CountryQ,
    mineral: MineralQ,
    stage: StageQ,
    svc: ServiceDep,
    origin: Annotated[str, Query(pattern=r"^[A-Za-z]{3}$")] = "CHN",
) -> dict[str, Any]:
    """Direct and indirect (origin-traced) share of supply (as the CLI's --json)."""
    with svc.data() as (_, network):
        return clean(expo(network, country, mineral, stage, origin).to_dict())


@router.get("/api/metrics/demand-share")
def demand_share(
    group: Annotated[str, Query(pattern=r"^[A-Za-z0-9_]{1,20}$")],
    svc: ServiceDep,
    mineral: Annotated[str | None, Query(pattern=r"^[a-z_]{1,40}$")] = None,
) -> dict[str, Any]:
    """A group's share of world final use (as `oreshock metrics demand-share --json`)."""
    with svc.data() as (_, network):
        return clean(share(network, group, mineral))


@router.get("/api/metrics/dependency")
def dependency(
    mineral: MineralQ, svc: ServiceDep, country: Iso3Filter = None
) -> list[dict[str, Any]]:
    """Per stage and country: shares, reliance, supply risk (as the CLI's --json)."""
    with svc.data() as (_, network):
        df = dependency_table(network, mineral)
    if country:
        df = df[df["country"] == country.upper()]
    return frame_records(df)
