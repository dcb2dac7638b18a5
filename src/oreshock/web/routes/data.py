"""The dataset behind the service and the dashboard's text table."""

from __future__ import annotations

from typing import Any

import pandas as pd
from fastapi import APIRouter
from fastapi.responses import JSONResponse

from oreshock.core.i18n import TEXT
from oreshock.core.serialize import json_safe as clean
from oreshock.core.serialize import records as frame_records
from oreshock.data.datasets import Dataset
from oreshock.model.network import Network
from oreshock.web.service import ServiceDep

router = APIRouter(tags=["data"])


def _minerals(ds: Dataset, network: Network) -> list[dict[str, Any]]:
    """Minerals that have a chain, and families (``rare_earths``, which a scenario or a
    metric may name for all its products), each with its stages in chain order (for the
    forms)."""
    stages: pd.DataFrame = ds.table("stages").sort_values(["mineral", "order"])
    return [
        {
            "mineral": m["mineral"],
            "name_en": m["name_en"],
            "name_ja": m["name_ja"],
            "stages": frame_records(
                stages[stages["mineral"] == m["mineral"]][["stage", "name_en", "name_ja"]]
            ),
        }
        for m in ds.table("minerals").to_dict("records")
        if m["mineral"] in network.chains or m["mineral"] in network.families
    ]


@router.get("/api/datasets")
def datasets(svc: ServiceDep) -> dict[str, Any]:
    """Tables and version of the dataset, and the ids the dashboard's forms offer."""
    with svc.data() as (ds, network):
        out = {
            "name": ds.name,
            "version": ds.version,
            "base_year": ds.base_year,
            "hash": ds.content_hash,
            "tables": [{"table": n, "rows": len(ds.table(n))} for n in sorted(ds.tables())],
            "minerals": _minerals(ds, network),
            "countries": frame_records(ds.table("countries")),
            "groups": sorted(network.groups),
        }
    return clean(out)


@router.get("/api/i18n")
def i18n() -> JSONResponse:
    """The ja/en text table the dashboard shows."""
    return JSONResponse(TEXT)
