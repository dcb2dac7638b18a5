"""Routes of the HTTP API; each mirrors a CLI command's JSON (see ``oreshock.cli.app``)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import FastAPI, HTTPException, Query
from fastapi.responses import HTMLResponse, JSONResponse

from oreshock.core.serialize import json_safe as clean
from oreshock.core.serialize import records as frame_records
from oreshock.web.app import (
    ERRORS,
    CountryQ,
    Lang,
    MineralQ,
    RunCreated,
    RunId,
    RunRequest,
    Service,
    StageQ,
)

FilterQ = Annotated[str | None, Query(pattern=r"^[A-Za-z_]{1,40}$")]


def add_routes(app: FastAPI, svc: Service) -> None:
    """Attach every /api route to ``app``."""

    @app.get("/api/datasets", tags=["data"])
    def datasets() -> dict[str, Any]:
        """Tables and version of the dataset, and the ids the dashboard's forms offer."""
        ds, network = svc.context()
        with svc.data_lock:
            stages = ds.table("stages").sort_values(["mineral", "order"])
            minerals = ds.table("minerals")
            out = {
                "name": ds.name,
                "version": ds.version,
                "base_year": ds.base_year,
                "hash": ds.content_hash,
                "tables": [{"table": n, "rows": len(ds.table(n))} for n in sorted(ds.tables())],
                "minerals": [
                    {
                        "mineral": m["mineral"],
                        "name_en": m["name_en"],
                        "name_ja": m["name_ja"],
                        "stages": frame_records(
                            stages[stages["mineral"] == m["mineral"]][
                                ["stage", "name_en", "name_ja"]
                            ]
                        ),
                    }
                    for m in minerals.to_dict("records")
                    if m["mineral"] in network.chains
                ],
                "countries": frame_records(ds.table("countries")),
                "groups": sorted(network.groups),
            }
        return clean(out)

    @app.get("/api/scenarios", tags=["scenarios"])
    def scenarios() -> list[dict[str, Any]]:
        """Shipped scenarios and their variants (as `oreshock scenarios --json`)."""
        from oreshock.model.scenario import open_scenario, shipped_scenarios

        rows = []
        for name, path in shipped_scenarios().items():
            file = open_scenario(path)
            rows.append(
                {
                    "name": name,
                    "title": file.doc.get("title_en", ""),
                    "title_ja": file.doc.get("title_ja", ""),
                    "description": file.doc.get("description", ""),
                    "variants": list(file.variants),
                    "variant_descriptions": {
                        k: (v or {}).get("description", "") for k, v in file.variants.items()
                    },
                }
            )
        return rows

    @app.post(
        "/api/runs",
        status_code=202,
        tags=["runs"],
        response_model=RunCreated,
        responses={
            **ERRORS,
            400: {"description": "Body is not JSON"},
            429: {"description": "Too many runs waiting"},
        },
    )
    def start_run(req: RunRequest) -> RunCreated:
        """Validate the scenario, queue the run and answer at once with its id."""
        job = svc.submit(req)
        return RunCreated(id=job.id, status=job.status, url=f"/api/runs/{job.id}")

    @app.get("/api/runs", tags=["runs"])
    def list_runs() -> list[dict[str, Any]]:
        """Stored runs (as `oreshock runs list --json`) and runs still in progress."""
        with svc.db_lock, svc.store() as store:
            stored = frame_records(store.list_runs())
        done = {r["run_id"] for r in stored}
        for row in stored:
            row["status"] = "done"
            row["id"] = row["run_id"]
        pending = [
            j.public() for j in svc.jobs.values() if j.run_id not in done or j.run_id is None
        ]
        return pending + stored

    @app.get("/api/runs/{run_id}", tags=["runs"], responses=ERRORS)
    def get_run(run_id: RunId) -> dict[str, Any]:
        """Status and progress; when done, the record and summary of `oreshock runs show --json`."""
        job = svc.jobs.get(run_id)
        if job is not None and job.run_id is None:
            return job.public()
        record = svc.record(job.run_id if job else run_id)
        out = job.public() if job else {"id": run_id, "status": "done", "progress": 1.0}
        out.update(clean(record))
        return out

    @app.get("/api/runs/{run_id}/timeseries", tags=["runs"], responses={**ERRORS, 409: {}})
    def run_timeseries(
        run_id: RunId,
        country: Annotated[str | None, Query(pattern=r"^[A-Za-z]{3}$")] = None,
        mineral: FilterQ = None,
        stage: FilterQ = None,
        variable: FilterQ = None,
    ) -> list[dict[str, Any]]:
        """Monthly paths: month, country, mineral, stage, variable, value (filterable)."""
        df = svc.read("timeseries", svc.resolve(run_id))
        for col, val in (
            ("country", country and country.upper()),
            ("mineral", mineral),
            ("stage", stage),
            ("variable", variable),
        ):
            if val:
                df = df[df[col] == val]
        return frame_records(df)

    @app.get("/api/runs/{run_id}/flows", tags=["runs"], responses={**ERRORS, 409: {}})
    def run_flows(
        run_id: RunId,
        importer: Annotated[str | None, Query(pattern=r"^[A-Za-z]{3}$")] = None,
        exporter: Annotated[str | None, Query(pattern=r"^[A-Za-z]{3}$")] = None,
        mineral: FilterQ = None,
        stage: FilterQ = None,
    ) -> list[dict[str, Any]]:
        """Shipments: month, mineral, stage, exporter, importer, origin, value (filterable)."""
        df = svc.read("flows", svc.resolve(run_id))
        for col, val in (
            ("importer", importer and importer.upper()),
            ("exporter", exporter and exporter.upper()),
            ("mineral", mineral),
            ("stage", stage),
        ):
            if val:
                df = df[df[col] == val]
        return frame_records(df)

    @app.get("/api/runs/{run_id}/report", tags=["runs"], responses={**ERRORS, 409: {}})
    def run_report(run_id: RunId, lang: Lang = "en") -> dict[str, Any]:
        """The report's content (summary, analysis, SVG charts, assumptions, sources) as JSON."""
        from oreshock.report.builder import report_data

        rid = svc.resolve(run_id)
        context = svc.context()
        with svc.db_lock, svc.data_lock, svc.store() as store:
            return clean(report_data(store, rid, lang, context))

    @app.get(
        "/api/runs/{run_id}/report.html",
        tags=["runs"],
        response_class=HTMLResponse,
        responses={**ERRORS, 409: {}},
    )
    def run_report_html(run_id: RunId, lang: Lang = "en") -> HTMLResponse:
        """The same report as a standalone HTML page (what `oreshock report` writes)."""
        from oreshock.report.builder import render_html

        return HTMLResponse(render_html(run_report(run_id, lang)))

    @app.get("/api/compare", tags=["runs"], responses=ERRORS)
    def compare(
        ids: Annotated[list[str], Query(min_length=2, max_length=6)],
        country: Annotated[str | None, Query(pattern=r"^[A-Za-z]{3}$")] = None,
    ) -> dict[str, Any]:
        """Side-by-side summaries of stored runs (as `oreshock runs compare --json`)."""
        runs = []
        for rid in ids:
            if not (len(rid) == 12 and all(c in "0123456789abcdef" for c in rid)):
                raise HTTPException(422, f"ids: {rid!r} is not a run id (12 hex digits)")
            record = svc.record(svc.resolve(rid))
            rows = record["summary"]
            if country:
                rows = [r for r in rows if r["country"] == country.upper()]
            runs.append(
                {
                    "run_id": record["run_id"],
                    "scenario": record["scenario"],
                    "variant": record["variant"],
                    "months": record["months"],
                    "summary": rows,
                }
            )
        return clean({"runs": runs})

    @app.get("/api/metrics/concentration", tags=["metrics"], responses=ERRORS)
    def concentration(
        mineral: MineralQ,
        stage: StageQ,
        year: Annotated[int | None, Query(ge=1900, le=2100)] = None,
    ) -> dict[str, Any]:
        """Producer shares, HHI, top-1 and top-3 (as `oreshock metrics concentration --json`)."""
        from oreshock.model.metrics import concentration as conc

        ds, _ = svc.context()
        with svc.data_lock:
            result = conc(ds, mineral, stage, year).to_dict()
        result.pop("china_share")
        return clean(result)

    @app.get("/api/metrics/exposure", tags=["metrics"], responses=ERRORS)
    def exposure(
        country: CountryQ,
        mineral: MineralQ,
        stage: StageQ,
        origin: Annotated[str, Query(pattern=r"^[A-Za-z]{3}$")] = "CHN",
    ) -> dict[str, Any]:
        """Direct and indirect (origin-traced) share of supply (as the CLI's --json)."""
        from oreshock.model.metrics import exposure as expo

        _, network = svc.context()
        with svc.data_lock:
            return clean(expo(network, country, mineral, stage, origin).to_dict())

    @app.get("/api/metrics/demand-share", tags=["metrics"], responses=ERRORS)
    def demand_share(
        group: Annotated[str, Query(pattern=r"^[A-Za-z0-9_]{1,20}$")],
        mineral: Annotated[str | None, Query(pattern=r"^[a-z_]{1,40}$")] = None,
    ) -> dict[str, Any]:
        """A group's share of world final use (as `oreshock metrics demand-share --json`)."""
        from oreshock.model.metrics import demand_share as share

        _, network = svc.context()
        with svc.data_lock:
            return clean(share(network, group, mineral))

    @app.get("/api/metrics/dependency", tags=["metrics"], responses=ERRORS)
    def dependency(
        mineral: MineralQ,
        country: Annotated[str | None, Query(pattern=r"^[A-Za-z]{3}$")] = None,
    ) -> list[dict[str, Any]]:
        """Per stage and country: shares, reliance, supply risk (as the CLI's --json)."""
        from oreshock.model.metrics import dependency_table

        _, network = svc.context()
        with svc.data_lock:
            df = dependency_table(network, mineral)
        if country:
            df = df[df["country"] == country.upper()]
        return frame_records(df)

    @app.get("/api/overview", tags=["metrics"], responses=ERRORS)
    def overview(mineral: MineralQ, stage: StageQ, lang: Lang = "en") -> dict[str, Any]:
        """The dashboard's overview page as JSON: shares, map (SVG) and dependency metrics."""
        from oreshock.core.i18n import t
        from oreshock.model.metrics import concentration as conc
        from oreshock.model.metrics import dependency_table
        from oreshock.report.charts import bubble_map
        from oreshock.report.text import Names

        ds, network = svc.context()
        with svc.data_lock:
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
        return clean(
            {
                "concentration": c,
                "map_svg": bubble_map(c["shares"], title),
                "dependency": frame_records(dep),
                "names": {k: names.country(k) for k in c["shares"]},
            }
        )

    @app.get("/api/i18n", tags=["data"])
    def i18n() -> JSONResponse:
        """The ja/en text table the dashboard shows."""
        from oreshock.core.i18n import TEXT

        return JSONResponse(TEXT)
