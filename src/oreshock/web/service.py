"""What the routes work on: the dataset and network, the results database and the run queue.

The results database is opened per operation under a lock: DuckDB lets only one process hold
the file read-write, so the server does not keep it open between requests. The dataset's
in-memory DuckDB connection is shared, so dataset queries go through a lock too. Routes get
the service from ``request.app.state`` through the ``ServiceDep`` dependency, so they import
nothing from the module that builds the app.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, Literal

import pandas as pd
from fastapi import Depends, Request

from oreshock.core.errors import ScenarioError, UnknownIdError
from oreshock.data.datasets import Dataset, load_dataset
from oreshock.model.checks import check_scenario
from oreshock.model.coverage import Names, check_coverage
from oreshock.model.network import Network
from oreshock.model.results import RunResult
from oreshock.model.scenario import Scenario, ScenarioFile, open_scenario, shipped_scenarios
from oreshock.model.simulate import simulate
from oreshock.report.builder import build_context, report_data
from oreshock.store.store import Store, default_path
from oreshock.web.jobs import MAX_QUEUED, Job, JobQueue, Progress
from oreshock.web.schemas import RunRequest


def scenario_file(req: RunRequest) -> ScenarioFile:
    """A shipped scenario by name or an inline one; never a path, so no file is read."""
    if not isinstance(req.scenario, str):
        return ScenarioFile.from_document(req.scenario, "<inline>")
    shipped = shipped_scenarios()
    if req.scenario not in shipped:
        raise ScenarioError(
            f"unknown scenario {req.scenario!r}; expected one of: {', '.join(shipped)}"
        )
    return open_scenario(req.scenario)


class Service:
    """State behind the routes: dataset, network, results database and the run queue."""

    def __init__(
        self,
        db_path: str | Path | None,
        data_path: str | Path | None,
        max_queued: int = MAX_QUEUED,
    ) -> None:
        self.db_path = Path(db_path) if db_path else default_path()
        self.data_path = Path(data_path) if data_path else None
        self.db_lock = threading.Lock()
        self.data_lock = threading.RLock()
        self.jobs = JobQueue(self.execute, max_queued)
        self._context: tuple[Dataset, Network] | None = None

    def context(self) -> tuple[Dataset, Network]:
        """Dataset and network, loaded once on first use (the server starts fast)."""
        with self.data_lock:
            if self._context is None:
                dataset = load_dataset(self.data_path) if self.data_path is not None else None
                self._context = build_context(dataset)
            return self._context

    @contextmanager
    def data(self) -> Iterator[tuple[Dataset, Network]]:
        """Dataset and network held under the lock their shared DuckDB connection needs."""
        dataset, network = self.context()
        with self.data_lock:
            yield dataset, network

    def store(self, read_only: bool = False) -> Store:
        return Store(self.db_path, read_only=read_only)

    @contextmanager
    def results(self) -> Iterator[Store]:
        """The results database, open for one operation and held by one thread."""
        with self.db_lock, self.store() as store:
            yield store

    def record(self, run_id: str) -> dict[str, Any]:
        with self.results() as store:
            return store.run(run_id)

    def read(self, table: Literal["timeseries", "flows"], run_id: str) -> pd.DataFrame:
        """One of a stored run's long tables."""
        with self.results() as store:
            return store.timeseries(run_id) if table == "timeseries" else store.flows(run_id)

    def list_runs(self) -> pd.DataFrame:
        with self.results() as store:
            return store.list_runs()

    def report(self, run_id: str, lang: str) -> dict[str, Any]:
        """A stored run's report content; it reads the database and the dataset at once."""
        context = self.context()
        with self.db_lock, self.data_lock, self.store() as store:
            return report_data(store, run_id, lang, context)

    def resolve(self, run_or_job: str) -> str:
        """The stored run id behind a job id (or the run id itself)."""
        return self.jobs.resolve(run_or_job)

    def build_scenario(self, req: RunRequest) -> Scenario:
        """Validate the requested scenario now, so a bad request gets a 422 at once."""
        overrides = {("months",): req.months} if req.months else None
        scenario = scenario_file(req).build(req.variant, overrides)
        _, network = self.context()
        try:
            for mineral in scenario.chains_covered(network.chains):
                network.chain(mineral)
        except UnknownIdError as exc:  # a bad field of the request body, not a missing resource
            raise ScenarioError(f"scenario.minerals: {exc}") from None
        check_scenario(scenario, network, warn=False)  # as the CLI and Python: every variant
        if req.strict:
            coverage = check_coverage(network, scenario)
            if coverage.warnings:
                raise coverage.error()
        return scenario

    def submit(self, req: RunRequest) -> Job:
        """Queue a run; a full queue is refused before the scenario is even validated."""
        self.jobs.ensure_room()
        return self.jobs.submit(self.build_scenario(req), req.seed)

    def execute(self, scenario: Scenario, seed: int, progress: Progress) -> str:
        """Simulate mineral by mineral (for progress), then store the run atomically, with
        the data's coverage of the whole scenario (the run's JSON shows it; no warning is
        raised in the job's thread)."""
        with self.data() as (dataset, network):
            names = Names.of(dataset)
        coverage = check_coverage(network, scenario, names=names)
        minerals = scenario.chains_covered(network.chains)
        runs = {}
        for i, mineral in enumerate(minerals):
            part = simulate(
                network, scenario.model_copy(update={"minerals": [mineral]}), warn=False
            )
            runs.update(part.runs)
            progress(0.9 * (i + 1) / len(minerals))
        result = RunResult(scenario, network, runs, seed=seed, coverage=coverage)
        with self.results() as store:
            return store.save_run(result)


def get_service(request: Request) -> Service:
    """The app's service (``create_app`` puts it on ``app.state``)."""
    service: Service = request.app.state.service
    return service


ServiceDep = Annotated[Service, Depends(get_service)]
