"""The dashboard's page and the overview it opens on; its scripts are served from /static."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

from fastapi import APIRouter
from fastapi.responses import FileResponse

from oreshock.core.i18n import t
from oreshock.core.serialize import json_safe as clean
from oreshock.core.serialize import records as frame_records
from oreshock.model.metrics import concentration as conc
from oreshock.model.metrics import dependency_table
from oreshock.report.charts import bubble_map
from oreshock.report.text import Names
from oreshock.web.schemas import ERRORS, Lang, MineralQ, StageQ
from oreshock.web.service import ServiceDep

STATIC = Path(str(resources.files("oreshock.web").joinpath("dashboard")))
"""The dashboard's files (HTML, script, style), shipped inside the package."""

router = APIRouter()


@router.get("/", include_in_schema=False)
def index() -> FileResponse:
    """The dashboard: one static page whose script talks only to the JSON routes."""
    return FileResponse(STATIC / "index.html", media_type="text/html")


@router.get("/api/overview", tags=["metrics"], responses=ERRORS)
def overview(
    mineral: MineralQ, stage: StageQ, svc: ServiceDep, lang: Lang = "en"
) -> dict[str, Any]:
    """The dashboard's overview page as JSON: shares, map (SVG) and dependency metrics."""
    with svc.data() as (ds, network):
        c = conc(ds, mineral, stage).to_dict()
        names = Names(ds, lang)
        dep = dependency_table(network, mineral)
    dep = dep[dep["stage"] == c["stage"]].sort_values("consumption", ascending=False)
    title = t(
        "chart_map",
        lang,
        mineral=names.mineral(mineral),
        stage=names.stage(mineral, c["stage"]),
        year=c["year"],
    )
    countries = {k: names.country(k) for k in c["shares"]}
    return clean(
        {
            "concentration": c,
            "map_svg": bubble_map(c["shares"], title, countries),  # labels by name, not ISO3
            "dependency": frame_records(dep),
            "names": countries,
        }
    )
