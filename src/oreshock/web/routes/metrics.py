"""Dependency metrics of the dataset and network, each the JSON of a `oreshock metrics` command."""

from __future__ import annotations

import warnings
from functools import lru_cache
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query

from oreshock.core.errors import UnknownIdError
from oreshock.core.serialize import json_safe as clean
from oreshock.core.serialize import records as frame_records
from oreshock.impact.embodied import demand_share_by_basis
from oreshock.impact.tables import TEST_SYSTEM, IOTable, TableWarning, bundled_tables, load_table
from oreshock.model.metrics import concentration as conc
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
    basis: Annotated[Literal["first-use", "embodied"], Query()] = "first-use",
    table: Annotated[str | None, Query(pattern=r"^[A-Za-z0-9_.-]{1,60}$")] = None,
) -> dict[str, Any]:
    """A group's share of world final use (as `oreshock metrics demand-share --json`): where
    the material is first used (``basis=first-use``, the default) or embodied in the final
    goods bought in each region (``basis=embodied``, through ``table``: a bundled table or
    ``pymrio-test``; the API reads no table from a path)."""
    if table is not None and table not in (*bundled_tables(), TEST_SYSTEM):
        known = ", ".join([*bundled_tables(), TEST_SYSTEM])
        raise UnknownIdError(f"unknown input-output table {table!r}; expected one of: {known}")
    io = _io_table(table) if basis == "embodied" else table
    with svc.data() as (ds, network):
        return clean(demand_share_by_basis(network, ds, group, mineral, basis, io))


@lru_cache(maxsize=4)
def _io_table(name: str | None) -> IOTable:
    """A shipped table, read once per process (its arrays are only read). That pymrio's test
    system is fictional is in the result (``table.fictional``), not a server warning."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TableWarning)
        return load_table(name)


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
