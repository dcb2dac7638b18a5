"""HTTP API and dashboard host (FastAPI): a thin layer over the Python API.

Runs execute in one background worker thread so the server keeps answering while they run.
The results database is opened per operation under a lock (DuckDB lets only one process
hold the file read-write, so the server does not keep it open between requests). The
dataset's in-memory DuckDB connection is shared, so dataset queries go through a lock too.
No route takes a filesystem path: scenarios are shipped names or inline objects.
"""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

import pandas as pd
import yaml
from fastapi import FastAPI, HTTPException, Query, Request
from fastapi import Path as PathParam
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, ConfigDict, Field

from oreshock.core.errors import OreshockError, ScenarioError, UnknownIdError

MAX_QUEUED = 8
RunId = Annotated[str, PathParam(pattern=r"^[0-9a-f]{12}$", description="run or job id")]
MineralQ = Annotated[str, Query(pattern=r"^[a-z_]{1,40}$", description="mineral id")]
StageQ = Annotated[str, Query(pattern=r"^[a-z_]{1,40}$", description="stage id")]
CountryQ = Annotated[str, Query(pattern=r"^[A-Za-z]{3}$", description="ISO3 code")]
Lang = Annotated[Literal["en", "ja"], Query(description="language")]
ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"description": "Unknown id"},
    422: {"description": "Invalid request"},
}


class RunRequest(BaseModel):
    """Start a run: a shipped scenario name or an inline scenario object, and a variant."""

    model_config = ConfigDict(extra="forbid")
    scenario: Annotated[str, Field(min_length=1, max_length=100)] | dict[str, Any]
    variant: Annotated[str, Field(min_length=1, max_length=100)] | None = None
    seed: int = Field(0, ge=0, le=2**31 - 1)
    months: int | None = Field(None, ge=1, le=600)


class RunCreated(BaseModel):
    id: str
    status: str
    url: str


@dataclass
class Job:
    """A run started through the API, until (and after) it is stored."""

    id: str
    scenario: str
    variant: str | None
    status: str = "queued"
    progress: float = 0.0
    run_id: str | None = None
    error: str | None = None
    created: str = field(default_factory=lambda: dt.datetime.now(dt.UTC).isoformat()[:19])

    def public(self) -> dict:
        return {
            "id": self.id,
            "run_id": self.run_id,
            "scenario": self.scenario,
            "variant": self.variant,
            "status": self.status,
            "progress": round(self.progress, 3),
            "error": self.error,
            "created": self.created,
        }


class Service:
    """State behind the routes: dataset, network, results database and the run queue."""

    def __init__(self, db_path: str | Path | None, data_path: str | Path | None):
        from oreshock.store.store import default_path

        self.db_path = Path(db_path) if db_path else default_path()
        self.data_path = Path(data_path) if data_path else None
        self.db_lock = threading.Lock()
        self.data_lock = threading.RLock()
        self.jobs: dict[str, Job] = {}
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="oreshock-run")
        self._context = None

    def context(self):
        """Dataset and network, loaded once on first use."""
        with self.data_lock:
            if self._context is None:
                from oreshock.report.builder import build_context

                ds = None
                if self.data_path is not None:
                    from oreshock import load_dataset

                    ds = load_dataset(self.data_path)
                self._context = build_context(ds)
            return self._context

    def store(self, read_only: bool = False):
        from oreshock.store.store import Store

        return Store(self.db_path, read_only=read_only)

    def resolve(self, run_or_job: str) -> str:
        """The stored run id behind a job id (or the run id itself)."""
        job = self.jobs.get(run_or_job)
        if job is not None:
            if job.run_id is None:
                raise HTTPException(409, f"run {run_or_job} is {job.status}, not finished")
            return job.run_id
        return run_or_job

    def build_scenario(self, req: RunRequest):
        """Validate the requested scenario now, so a bad request gets a 422 at once."""
        from oreshock.model.scenario import ScenarioFile, open_scenario, shipped_scenarios

        if isinstance(req.scenario, str):
            shipped = shipped_scenarios()
            if req.scenario not in shipped:
                raise ScenarioError(
                    f"unknown scenario {req.scenario!r}; expected one of: {', '.join(shipped)}"
                )
            file = open_scenario(req.scenario)
        else:
            file = ScenarioFile(yaml.safe_dump(req.scenario, allow_unicode=True), "<inline>")
        overrides = {("months",): req.months} if req.months else None
        scenario = file.build(req.variant, overrides)
        _, network = self.context()
        minerals = sorted(network.chains) if scenario.minerals == "all" else scenario.minerals
        try:
            for mineral in minerals:
                network.chain(mineral)
        except UnknownIdError as exc:  # a bad field of the request body, not a missing resource
            raise ScenarioError(f"scenario.minerals: {exc}") from None
        return scenario

    def submit(self, req: RunRequest) -> Job:
        pending = sum(j.status in ("queued", "running") for j in self.jobs.values())
        if pending >= MAX_QUEUED:
            raise HTTPException(429, f"{pending} runs are waiting; try again when some finish")
        scenario = self.build_scenario(req)
        job = Job(uuid.uuid4().hex[:12], scenario.name, scenario.variant)
        self.jobs[job.id] = job
        self.pool.submit(self._execute, job, scenario, req.seed)
        return job

    def _execute(self, job: Job, scenario, seed: int) -> None:
        """Simulate mineral by mineral (for progress), then store the run atomically."""
        from oreshock.model.simulate import RunResult, simulate

        job.status = "running"
        try:
            _, network = self.context()
            minerals = (
                sorted(network.chains) if scenario.minerals == "all" else list(scenario.minerals)
            )
            runs = {}
            for i, mineral in enumerate(minerals):
                part = simulate(network, scenario.model_copy(update={"minerals": [mineral]}))
                runs.update(part.runs)
                job.progress = 0.9 * (i + 1) / len(minerals)
            result = RunResult(scenario, network, runs, seed=seed)
            with self.db_lock, self.store() as store:
                job.run_id = store.save_run(result)
            job.progress = 1.0
            job.status = "done"
        except Exception as exc:  # reported to the client through the job's status
            job.status = "failed"
            job.error = f"{type(exc).__name__}: {exc}"

    def record(self, run_id: str) -> dict:
        with self.db_lock, self.store() as store:
            return store.run(run_id)

    def read(self, method: str, run_id: str) -> pd.DataFrame:
        with self.db_lock, self.store() as store:
            return getattr(store, method)(run_id)


def create_app(db_path: str | Path | None = None, data_path: str | Path | None = None) -> FastAPI:
    """The API and dashboard over one results database and dataset (bundled by default)."""
    from oreshock.core.version import __version__

    svc = Service(db_path, data_path)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        svc.pool.shutdown(wait=False, cancel_futures=True)

    app = FastAPI(
        lifespan=lifespan,
        title="oreshock",
        version=__version__,
        description="Stress tests for critical-mineral supply chains: datasets, metrics, "
        "scenarios, runs and reports (Japanese and English).",
    )
    app.state.service = svc
    static = Path(str(resources.files("oreshock.web").joinpath("dashboard")))
    app.mount("/static", StaticFiles(directory=static), name="static")

    def hide_paths(message: str) -> str:
        """Error messages name no server file: the database and package folders are elided."""
        package = str(Path(str(resources.files("oreshock"))))
        return message.replace(str(svc.db_path), "the results database").replace(package + "/", "")

    @app.exception_handler(UnknownIdError)
    async def _unknown(_: Request, exc: UnknownIdError) -> JSONResponse:
        return JSONResponse({"detail": hide_paths(str(exc))}, status_code=404)

    @app.exception_handler(OreshockError)
    async def _bad(_: Request, exc: OreshockError) -> JSONResponse:
        return JSONResponse({"detail": hide_paths(str(exc))}, status_code=422)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        parts = []
        for err in exc.errors():
            loc = ".".join(str(x) for x in err.get("loc", ()) if x != "body")
            parts.append(f"{loc}: {err.get('msg')}")
        return JSONResponse(
            {
                "detail": "invalid request: " + "; ".join(parts),
                "errors": [
                    {"loc": [str(x) for x in e.get("loc", ())], "msg": str(e.get("msg"))}
                    for e in exc.errors()
                ],
            },
            status_code=422,
        )

    @app.get("/", include_in_schema=False)
    def index() -> FileResponse:
        return FileResponse(static / "index.html", media_type="text/html")

    from oreshock.web import routes as api_routes

    api_routes.add_routes(app, svc)

    return app
