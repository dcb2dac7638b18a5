"""What the routes work on: the dataset and network, the results database and the run queue.

The results database is opened per operation (``oreshock.web.db``): DuckDB lets only one
process hold the file read-write, so the server does not keep it open between requests, and
reads open it read-only. The dataset's in-memory DuckDB connection is shared, so dataset
queries go through a lock. Routes get the service from ``request.app.state`` through the
``ServiceDep`` dependency, so they import nothing from the module that builds the app.

Every request is held to the limits of ``Settings`` before it costs anything: a scenario's
horizon and shocks are counted before it is checked against the network, and a run checks
its time limit and cancellation between minerals, and within a mineral's run at every
allocation pass (``Control.check`` through the allocation seam). A chain's run with no
allocation to do is not interrupted: under the limits it takes well under a second.

Plans (``POST /api/plans``) are jobs of the same queue: validated when submitted (the
scenario and its plan: block, the members, the number of sampled controls), made with the
job's checks between the planner's steps, and stored (``store.plans``) in the database turn
that marks the job done.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, BinaryIO

import numpy as np
from fastapi import Depends, Request

from oreshock.core.errors import OreshockError, ScenarioError, UnknownIdError
from oreshock.core.serialize import records as frame_records
from oreshock.data.datasets import Dataset, load_dataset
from oreshock.ensemble.runner import get_ensemble, list_ensembles
from oreshock.impact.assessment import assess
from oreshock.impact.tables import TEST_SYSTEM, bundled_tables, load_table
from oreshock.model.allocation import Allocation, Allocator, allocate_by_gap
from oreshock.model.checks import check_scenario
from oreshock.model.coverage import Names, check_coverage
from oreshock.model.network import Network
from oreshock.model.results import RunResult
from oreshock.model.scenario import Scenario, ScenarioFile, open_scenario, shipped_scenarios
from oreshock.model.simulate import reproduce, simulate
from oreshock.plan.projects import from_table
from oreshock.plan.runner import make_plan
from oreshock.plan.sampling import plan_block
from oreshock.report.builder import build_context, report_data
from oreshock.report.plan import plan_data
from oreshock.report.text import Names as ReportNames
from oreshock.store.impacts import get_impact, save_impact
from oreshock.store.integrity import first_line
from oreshock.store.jobs import ENSEMBLE, PLAN, RUN
from oreshock.store.plans import get_plan, list_plans, plan_rows, save_plan
from oreshock.store.recovery import SAVE_ERRORS, keep
from oreshock.store.store import RunRows, check_label, default_path, run_rows
from oreshock.web import ensembles, series
from oreshock.web.db import Database, RunKept, ServerBusy
from oreshock.web.jobs import Control, Job, JobQueue
from oreshock.web.schemas import EnsembleRequest, PlanRequest, RunRequest, ScenarioRequest
from oreshock.web.settings import Settings

Filters = dict[str, str | None]
log = logging.getLogger("oreshock.web")


def document_size(doc: Any) -> tuple[int, int]:
    """Values (every scalar, list and mapping) and shocks (entries of any ``shocks`` list,
    variants' included) in an inline scenario, counted before it is parsed."""
    values = shocks = 0
    stack = [doc]
    while stack:
        node = stack.pop()
        values += 1
        if isinstance(node, dict):
            stack.extend(node.values())
            found = node.get("shocks")
            shocks += len(found) if isinstance(found, list) else 0
        elif isinstance(node, list):
            stack.extend(node)
    return values, shocks


def scenario_file(scenario: str | dict[str, Any], settings: Settings) -> ScenarioFile:
    """A shipped scenario by name or an inline one; never a path, so no file is read.

    An inline scenario is held to ``max_values`` and ``max_shocks`` before it is parsed:
    checking a document costs time in proportion to its size (9,000 shocks took seconds)."""
    if not isinstance(scenario, str):
        values, shocks = document_size(scenario)
        if shocks > settings.max_shocks:
            raise ScenarioError(
                f"scenario.shocks: {shocks} shocks in the scenario and its variants; expected "
                f"at most {settings.max_shocks} on this server (see /api/limits)"
            )
        if values > settings.max_values:
            raise ScenarioError(
                f"scenario: {values} values; expected at most {settings.max_values} in an "
                "inline scenario on this server (see /api/limits)"
            )
        return ScenarioFile.from_document(scenario, "<inline>")
    shipped = shipped_scenarios()
    if scenario not in shipped:
        raise ScenarioError(f"unknown scenario {scenario!r}; expected one of: {', '.join(shipped)}")
    return open_scenario(scenario)


def checked(control: Control, allocate: Allocator = allocate_by_gap) -> Allocator:
    """``allocate`` that first checks the job's time limit and cancellation, so a run
    whose shocks and responses make it allocate (the long ones) stops within a month."""

    def allocate_checked(
        pool: np.ndarray,
        gap: np.ndarray,
        pairs: np.ndarray,
        pass_origin: np.ndarray,
        offdiag: np.ndarray,
        cap: np.ndarray | None = None,
    ) -> Allocation:
        control.check()
        return allocate(pool, gap, pairs, pass_origin, offdiag, cap)

    return allocate_checked


def hide_paths(message: str, db_path: Path) -> str:
    """Error messages name no server file: the database, its ensembles folder and the
    package folder are elided."""
    package = str(Path(str(resources.files("oreshock"))))
    ensembles_home = str(db_path.parent / "ensembles")
    message = message.replace(ensembles_home, "the store's ensembles folder")
    return message.replace(str(db_path), "the results database").replace(package + "/", "")


class Service:
    """State behind the routes: dataset, network, results database and the run queue."""

    def __init__(
        self,
        db_path: str | Path | None,
        data_path: str | Path | None,
        settings: Settings | None = None,
    ) -> None:
        self.db_path = Path(db_path) if db_path else default_path()
        self.data_path = Path(data_path) if data_path else None
        self.settings = settings or Settings()
        self.db = Database(self.db_path)
        self.data_lock = threading.RLock()
        self.series_slots = threading.BoundedSemaphore(self.settings.series_at_once)
        self.jobs = JobQueue(
            self.db,
            self.execute,
            self.settings,
            clean=self.hide,
            kinds={PLAN: self.execute_plan, ENSEMBLE: self.execute_ensemble},
        )
        self._contexts: dict[int | None, tuple[Dataset, Network]] = {}

    def hide(self, message: str) -> str:
        """A message fit for a client: no server file named."""
        return hide_paths(message, self.db_path)

    def context(self, base_year: int | None = None) -> tuple[Dataset, Network]:
        """Dataset and network of a vintage (the newest by default), each loaded once on
        first use (the server starts fast)."""
        with self.data_lock:
            if base_year not in self._contexts:
                if self.data_path is None and base_year is None:
                    dataset = None
                else:
                    dataset = load_dataset(self.data_path, base_year=base_year)
                self._contexts[base_year] = build_context(dataset)
            return self._contexts[base_year]

    @contextmanager
    def data(self, base_year: int | None = None) -> Iterator[tuple[Dataset, Network]]:
        """Dataset and network held under the lock their shared DuckDB connection needs."""
        dataset, network = self.context(base_year)
        with self.data_lock:
            yield dataset, network

    def record(self, run_id: str) -> dict[str, Any]:
        with self.db.read() as store:
            return store.run(run_id)

    @contextmanager
    def series_slot(self) -> Iterator[None]:
        """One of ``Settings.series_at_once`` places for building a page or a file."""
        if not self.series_slots.acquire(timeout=self.settings.series_wait):
            raise ServerBusy("too many large series requests at once; try again shortly")
        try:
            yield
        finally:
            self.series_slots.release()

    def page(
        self, table: series.Table, run_id: str, filters: Filters, limit: int, offset: int
    ) -> tuple[int, str]:
        """The number of rows of a stored run's long table that match ``filters`` (404 for
        no such run) and one page of them as JSON text."""
        with self.series_slot():
            with self.db.read() as store:
                store.run(run_id)
                total = series.count(store, table, run_id, filters)
                rows = series.page(store, table, run_id, filters, limit, offset)
            return total, series.as_json(table, rows)

    def parquet(self, table: series.Table, run_id: str, filters: Filters) -> BinaryIO:
        """A stored run's long table as a Parquet file open for reading. The file is
        unlinked at once: it takes no name on disk, and goes when the handle is closed,
        even if the client leaves or the server is killed mid-download."""
        with self.series_slot():
            with self.db.read() as store:
                store.run(run_id)
                path = series.to_parquet(store, table, run_id, filters)
            try:
                return path.open("rb")
            finally:
                path.unlink()

    def list_runs(
        self,
        scenario: str | None = None,
        label: str | None = None,
        since: dt.date | None = None,
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """Stored runs (as records, with label and horizon) and the run jobs still queued or
        running (as clients see them, with their label), both filtered alike."""
        with self.db.read() as store:
            runs = store.list_runs(scenario=scenario, label=label, since=since)
        pending = []
        for job in self.jobs.pending(RUN):
            shown = job.public()
            shown["label"] = RunRequest.model_validate_json(job.request_json).label
            if scenario and job.scenario != scenario:
                continue
            if label and label.lower() not in (shown["label"] or "").lower():
                continue
            if since and job.created[:10] < since.isoformat():
                continue
            pending.append(shown)
        return frame_records(runs), pending

    def list_plans(self) -> tuple[list[dict[str, Any]], list[Job]]:
        """Stored plans (as ``oreshock plans list --json``) and the plan jobs still going."""
        with self.db.read() as store:
            plans = list_plans(store)
        return frame_records(plans), self.jobs.pending(PLAN)

    def plan(self, plan_id: str) -> dict[str, Any]:
        """A stored plan as ``oreshock plans show --json`` (404 for no such plan)."""
        with self.db.read() as store:
            return get_plan(store, plan_id).public()

    def plan_report(self, plan_id: str, lang: str) -> dict[str, Any]:
        """A stored plan's report content (names in ``lang``, charts as SVG)."""
        record = self.plan(plan_id)
        dataset, _ = self.context()
        with self.data_lock:
            return plan_data(record, dataset, lang)

    def delete_run(self, run_or_job: str) -> str:
        """Delete a stored run (by its id or its job's); returns the run id."""
        run_id = self.resolve(run_or_job)
        with self.db.write() as store:
            store.delete_run(run_id)
        return run_id

    def report(self, run_id: str, lang: str) -> dict[str, Any]:
        """A stored run's report content; it reads the database and the dataset at once."""
        context = self.context()
        with self.data_lock, self.db.read() as store:
            return report_data(store, run_id, lang, context)

    def impact(self, run_id: str, table: str | None = None) -> dict[str, Any]:
        """A stored run's stored impact (404 when the run or its impact is not stored)."""
        with self.db.read() as store:
            return get_impact(store, run_id, table)

    def compute_impact(self, run_id: str, table: str | None = None) -> dict[str, Any]:
        """Simulate a stored run again, assess its impact on a bundled table (a server does
        not read client-named paths) and store it beside the run; returns the record."""
        if table is not None and table not in (*bundled_tables(), TEST_SYSTEM):
            raise UnknownIdError(
                f"unknown table {table!r}; expected one of {', '.join(bundled_tables())}"
            )
        record = self.record(run_id)
        with self.data() as (dataset, network):
            found = assess(reproduce(record, network), dataset, load_table(table))
        with self.db.write() as store:
            save_impact(store, run_id, found.stored_record(run_id), found.tidy())
            return get_impact(store, run_id, found.table.name)

    def resolve(self, run_or_job: str) -> str:
        """The stored run id behind a job id (or the run id itself)."""
        return self.jobs.resolve(run_or_job)

    def build_scenario(self, req: RunRequest) -> Scenario:
        """Validate the requested run's scenario now, so a bad request gets a 422 at once."""
        overrides: dict[tuple[str, ...], Any] | None = (
            {("months",): req.months} if req.months else None
        )
        scenario = self.checked_scenario(req, overrides)
        if req.strict:
            coverage = check_coverage(self.context(scenario.base_year)[1], scenario)
            if coverage.warnings:
                raise coverage.error()
        return scenario

    def checked_scenario(
        self, req: ScenarioRequest, overrides: dict[tuple[str, ...], Any] | None = None
    ) -> Scenario:
        """A job's scenario built and checked against the network it runs on (its size,
        vintage, minerals, every variant), as the CLI checks it."""
        scenario = scenario_file(req.scenario, self.settings).build(req.variant, overrides)
        self.check_size(scenario)
        try:
            _, network = self.context(scenario.base_year)
        except UnknownIdError as exc:  # a vintage the data lack: a bad field of the request
            raise ScenarioError(f"scenario.base_year: {exc}") from None
        try:
            for mineral in network.covered(scenario):
                network.chain(mineral)
        except UnknownIdError as exc:  # a bad field of the request body, not a missing resource
            raise ScenarioError(f"scenario.minerals: {exc}") from None
        check_scenario(scenario, network, warn=False)  # as the CLI and Python: every variant
        return scenario

    def build_plan(self, req: PlanRequest) -> tuple[Scenario, Network]:
        """Validate the requested plan now, so a bad request gets a 422 naming its field:
        the scenario and its plan: block, the members, the number of sampled controls."""
        scenario = self.checked_scenario(req)
        _, network = self.context(scenario.base_year)
        plan_block(scenario)
        try:
            network.members(req.members)
        except UnknownIdError as exc:  # a bad field of the request body, not a missing resource
            raise ScenarioError(f"members: {exc}") from None
        most = self.settings.max_plan_scenarios
        for name, count in (("scenarios", req.scenarios), ("verify", req.verify)):
            if count > most:
                raise ScenarioError(
                    f"{name}: {count} sampled controls; expected at most {most} on this "
                    "server (see /api/limits)"
                )
        return scenario, network

    def check_size(self, scenario: Scenario) -> None:
        """The horizon and number of shocks within ``Settings`` (422 beyond them)."""
        limits = self.settings
        if scenario.months > limits.max_months:
            raise ScenarioError(
                f"scenario.months: {scenario.months} months; expected at most "
                f"{limits.max_months} on this server (see /api/limits)"
            )
        if len(scenario.shocks) > limits.max_shocks:
            raise ScenarioError(
                f"scenario.shocks: {len(scenario.shocks)} shocks; expected at most "
                f"{limits.max_shocks} on this server (see /api/limits)"
            )

    def submit(self, req: RunRequest) -> Job:
        """Queue a run; a full queue is refused before the scenario is even validated."""
        self.jobs.ensure_room()
        req.label = check_label(req.label)
        scenario = self.build_scenario(req)
        return self.jobs.submit(req.model_dump_json(), scenario.name, scenario.variant, req.seed)

    def submit_plan(self, req: PlanRequest) -> Job:
        """Queue a plan; a full queue is refused before the request is even validated."""
        self.jobs.ensure_room()
        scenario, _ = self.build_plan(req)
        return self.jobs.submit(
            req.model_dump_json(), scenario.name, scenario.variant, req.seed, kind=PLAN
        )

    def execute_plan(self, request_json: str, control: Control) -> str:
        """Make a job's plan: validated again, planned with the job's checks and progress at
        every step of the planner, then stored with its job marked done in one database
        turn. A plan that cannot be saved fails its job, saying so."""
        req = PlanRequest.model_validate_json(request_json)
        scenario, network = self.build_plan(req)
        with self.data(scenario.base_year) as (dataset, _):
            projects = from_table(dataset.table("projects"))

        def step(_: str, done: float) -> None:
            control.check()
            control.progress(done)

        made = make_plan(network, scenario, req.members, req.cap, risk=req.risk,
                         alpha=req.alpha, scenarios=req.scenarios, seed=req.seed, caps=req.caps,
                         costs=req.costs(), progress=step, verify_scenarios=req.verify,
                         projects=projects)  # fmt: skip
        control.check()
        rows = plan_rows(made, scenario, network, coalition=req.members, seed=req.seed)
        try:
            with self.db.write() as store:
                save_plan(store, rows)
                control.stored(store, rows.plan_id)
        except SAVE_ERRORS as exc:
            raise OreshockError(
                f"the plan was made but could not be saved to the results database "
                f"({first_line(exc)}); submit it again"
            ) from exc
        return rows.plan_id

    def execute(self, request_json: str, control: Control) -> str:
        """Run a job's request: validated again (the dataset may have changed since it was
        queued), simulated mineral by mineral (for progress) with the job's checks between
        months, then stored atomically with the data's coverage of the whole scenario (the
        run's JSON shows it; no warning is raised in the job's thread)."""
        req = RunRequest.model_validate_json(request_json)
        scenario = self.build_scenario(req)
        with self.data(scenario.base_year) as (dataset, network):
            names = Names.of(dataset)
        coverage = check_coverage(network, scenario, names=names)
        minerals = network.covered(scenario)
        runs = {}
        for i, mineral in enumerate(minerals):
            control.check()
            one = scenario.model_copy(update={"minerals": [mineral]})
            runs.update(simulate(network, one, warn=False, allocate=checked(control)).runs)
            control.progress(0.9 * (i + 1) / len(minerals))
        control.check()
        result = RunResult(scenario, network, runs, seed=req.seed, coverage=coverage)
        return self.save(run_rows(result, label=req.label), control)

    def save(self, rows: RunRows, control: Control) -> str:
        """Store a computed run and mark its job done in the same database turn; if the
        database refuses (busy past the wait, damaged, disk), keep the run in a recovery
        folder instead of losing it, and say so."""
        try:
            with self.db.write() as store:
                store.save_rows(rows)
                control.stored(store, rows.run_id)
        except SAVE_ERRORS as exc:
            folder = keep([rows], self.db_path, first_line(exc))
            log.warning(
                "job %s: run %s could not be saved (%s); kept in %s",
                control.job_id,
                rows.run_id,
                first_line(exc),
                folder,
            )
            raise RunKept(rows.run_id) from exc
        return rows.run_id

    def bundled_network(self) -> Network:
        """The network ensembles run on: `oreshock ensemble` runs on the bundled dataset, so
        a server on another dataset refuses them rather than describe one and run another."""
        if self.data_path is not None:
            raise ScenarioError(
                "ensembles run on the bundled dataset (as `oreshock ensemble`); this server "
                "was started on another one"
            )
        return self.context()[1]

    def submit_ensemble(self, req: EnsembleRequest) -> tuple[Job, str]:
        """Validate the request as the command does, then queue it; returns the job and the
        ensemble's id."""
        self.jobs.ensure_room()
        scenario, written = self.ensemble_scenario(req)
        try:
            ensemble_id = ensembles.check_request(
                req, scenario, self.bundled_network(), self.settings.max_ensemble_runs
            )
        except Exception:
            if written:  # a document refused leaves no file behind
                Path(scenario).unlink(missing_ok=True)
            raise
        name = req.scenario if isinstance(req.scenario, str) else Path(scenario).stem
        job = self.jobs.submit(req.model_dump_json(), name, req.variant, req.seed, kind=ENSEMBLE)
        return job, ensemble_id

    def ensemble_scenario(self, req: EnsembleRequest) -> tuple[str, bool]:
        """What ``oreshock ensemble`` is given: a shipped scenario's name, or for an inline
        one (the workbench's) the path of its YAML, written once under the store's
        ``ensembles/scenarios/`` folder and named by its content, so the same document is the
        same ensemble (and resumes it) and the job reads it again after a restart. The flag
        says whether this call wrote the file."""
        if isinstance(req.scenario, str):
            return req.scenario, False
        scenario_file(req.scenario, self.settings)  # the limits and the document's shape
        path, written = ensembles.write_scenario(req.scenario, self.db_path)
        return str(path), written

    def execute_ensemble(self, request_json: str, control: Control) -> str:
        """Run a job's ensemble with the command, following its batches for the progress,
        and mark the job done once it is complete (an incomplete one fails, saying so)."""
        req = EnsembleRequest.model_validate_json(request_json)
        scenario, _ = self.ensemble_scenario(req)
        ensemble_id = ensembles.check_request(
            req, scenario, self.bundled_network(), self.settings.max_ensemble_runs
        )

        def progress() -> None:
            control.progress(ensembles.batches_done(lambda: self._ensemble_row(ensemble_id)))

        ensembles.run_child(ensembles.command(req, scenario, self.db_path), control.check, progress)
        row = self._ensemble_row(ensemble_id)
        if not row or row["status"] != "complete":
            status = row["status"] if row else "missing"
            raise OreshockError(f"ensemble {ensemble_id} ended {status}; submit it again")
        with self.db.write() as store:
            control.stored(store, ensemble_id)
        return ensemble_id

    def _ensemble_row(self, ensemble_id: str) -> dict[str, Any] | None:
        try:
            with self.db.shared():
                return get_ensemble(ensemble_id, self.db_path)
        except UnknownIdError:
            return None

    def list_ensembles(self) -> tuple[list[dict[str, Any]], list[Job]]:
        """Stored ensembles (as ``oreshock ensembles list --json``) and the ensemble jobs
        still going."""
        with self.db.shared():
            frame = list_ensembles(self.db_path)
        frame["scenario"] = frame["scenario"].astype(str).map(ensembles.shown_scenario)
        return frame_records(frame.drop(columns=["folder"])), self.jobs.pending(ENSEMBLE)

    @staticmethod
    def ensemble_rule(job: Job) -> str | None:
        """The failure rule an ensemble job was started with (None: the default)."""
        return EnsembleRequest.model_validate_json(job.request_json).fail

    def ensemble(self, ensemble_id: str, lang: str, **rule: Any) -> dict[str, Any]:
        """An ensemble's page as JSON (``web.ensembles.summary``), names in ``lang``."""
        dataset, _ = self.context()
        with self.data_lock, self.db.shared():
            names = ReportNames(dataset, lang)
            return ensembles.summary(ensemble_id, self.db_path, names, lang, **rule)


def get_service(request: Request) -> Service:
    """The app's service (``create_app`` puts it on ``app.state``)."""
    service: Service = request.app.state.service
    return service


ServiceDep = Annotated[Service, Depends(get_service)]
