"""Ensembles: many runs over sampled uncertain parameters, streamed to Parquet batch by batch.

An ensemble is fixed by its spec (scenario text, variant, runs, seed, method, parameters,
target, batch size, dataset hash, code version); its id is a hash of that spec, so running
the same command again resumes it: batches whose Parquet file exists are skipped, and the
samples are regenerated identically from the seed. Each batch is written atomically
(temporary file, then rename) and indexed in the results DuckDB (tables ``ensembles`` and
``ensemble_batches``) as it finishes, so only a few batches are ever held in memory.

Outcomes per run, for the target country and each stage where it has demand, are named
``METRIC.COUNTRY.MINERAL.STAGE`` with METRIC one of months_to_shortfall (months from the
start to the first month short by more than the scenario's threshold; horizon + 1 when never),
peak_shortfall_pct and cumulative_shortfall_pct.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

from oreshock.core.errors import UnknownIdError
from oreshock.core.version import __version__
from oreshock.ensemble.batching import BatchTask, OutcomeCell, evaluate_batch, outcome_cells
from oreshock.ensemble.evaluators import Evaluator, SequentialEvaluator
from oreshock.ensemble.sampling import (
    METHODS,
    EnsembleError,
    Parameter,
    sample,
    scenario_parameters,
)
from oreshock.model.network import Network, build_network
from oreshock.model.scenario import ScenarioFile, open_scenario
from oreshock.model.simulate import simulate
from oreshock.store.store import Store, default_path


@dataclass(frozen=True)
class EnsembleSpec:
    """What to run: everything that determines the samples and hence the results."""

    scenario: str
    variant: str | None = None
    runs: int = 1000
    seed: int = 0
    method: str = "lhs"
    target: str = "JPN"
    batch_size: int = 500
    params: dict[str, dict] = field(default_factory=dict)


@dataclass
class Plan:
    """An ensemble ready to evaluate: parameters, sampled values, outcome cells, folder."""

    spec: EnsembleSpec
    ensemble_id: str
    scenario_file: ScenarioFile
    scenario_text: str
    parameters: list[Parameter]
    values: np.ndarray
    cells: list[OutcomeCell]
    tracked_origins: list[str]
    network: Network
    folder: Path

    @property
    def runs(self) -> int:
        return len(self.values)

    @property
    def batches(self) -> int:
        return -(-self.runs // self.spec.batch_size)

    @property
    def outcome_names(self) -> list[str]:
        return [c for cell in self.cells for c in cell.columns(self.spec.target)]

    def batch_file(self, index: int) -> Path:
        return self.folder / f"batch-{index:05d}.parquet"

    def task(self, index: int, chunk: int) -> BatchTask:
        lo = index * self.spec.batch_size
        hi = min(lo + self.spec.batch_size, self.runs)
        return BatchTask(
            index=index,
            first_run=lo,
            values=self.values[lo:hi],
            names=[p.name for p in self.parameters],
            paths=[p.path for p in self.parameters],
            scenario_text=self.scenario_text,
            scenario_path=self.scenario_file.path,
            variant=self.spec.variant,
            network=self.network,
            target=self.spec.target,
            tracked_origins=self.tracked_origins,
            cells=self.cells,
            chunk=chunk,
        )


@dataclass
class EnsembleRun:
    """What ``run_ensemble`` did: where the results are and whether all batches exist."""

    ensemble_id: str
    folder: Path
    runs: int
    batches: int
    batches_done: int
    seconds: float
    parameters: list[Parameter]
    outcome_names: list[str]
    method: str
    seed: int

    @property
    def complete(self) -> bool:
        return self.batches_done == self.batches

    def results(self, columns: list[str] | None = None) -> pd.DataFrame:
        return load_results(self.folder, columns)


def ensembles_folder(db: str | Path | None = None) -> Path:
    """Default home of ensemble folders: ``ensembles/`` next to the results database."""
    return Path(db if db is not None else default_path()).parent / "ensembles"


def plan_ensemble(
    spec: EnsembleSpec,
    *,
    network: Network | None = None,
    out: str | Path | None = None,
    db: str | Path | None = None,
) -> Plan:
    """Validate the spec, sample the parameters and decide which outcomes to record."""
    if spec.runs < 1:
        raise EnsembleError(f"--runs must be at least 1 (found {spec.runs})")
    if spec.batch_size < 1:
        raise EnsembleError(f"batch size must be at least 1 (found {spec.batch_size})")
    if spec.method not in METHODS:
        raise EnsembleError(
            f"unknown --method {spec.method!r}; expected one of {', '.join(METHODS)}"
        )
    network = network if network is not None else build_network()
    sf = open_scenario(spec.scenario)
    text = Path(sf.path).read_text("utf-8")
    params = scenario_parameters(sf, spec.variant, spec.params)
    central = sf.build(spec.variant)
    tracked = sorted({s.origin for s in central.shocks if s.type == "reexport_control"})
    base = simulate(network, central, record_flows=False, tracked_origins=tracked)
    summary = base.summary([spec.target])
    if summary.empty:
        raise EnsembleError(
            f"target country {spec.target!r} has no demand in the chains of {spec.scenario}"
        )
    values = sample(params, spec.runs, spec.method, spec.seed)
    key = {
        **asdict(spec),
        "scenario_sha256": hashlib.sha256(text.encode()).hexdigest(),
        "parameters": [[p.name, p.spec] for p in params],
        "dataset_hash": network.dataset_hash,
        "code_version": __version__,
    }
    key.pop("params")
    digest = hashlib.sha256(json.dumps(key, sort_keys=True, default=str).encode()).hexdigest()
    eid = digest[:12]
    root = Path(out) if out is not None else ensembles_folder(db)
    return Plan(
        spec,
        eid,
        sf,
        text,
        params,
        values,
        outcome_cells(network, summary),
        tracked,
        network,
        root / eid,
    )


def _index(db: str | Path | None, sql: str, params: list) -> None:
    """One short write to the results DB (so other commands can open it between batches)."""
    with Store(db) as store:
        store.con.execute(sql, params)


def _register(plan: Plan, db: str | Path | None, done: int, status: str, seconds: float) -> None:
    spec = plan.spec
    _index(
        db,
        "INSERT OR REPLACE INTO ensembles (ensemble_id, created, scenario, variant, runs, seed, "
        "method, target, batch_size, batches, batches_done, status, seconds, folder, "
        "parameters_json, outcomes_json, dataset_hash, code_version) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            plan.ensemble_id,
            dt.datetime.now(),
            spec.scenario,
            spec.variant,
            plan.runs,
            spec.seed,
            spec.method,
            spec.target,
            spec.batch_size,
            plan.batches,
            done,
            status,
            seconds,
            str(plan.folder),
            json.dumps({p.name: p.spec | {"integer": p.integer} for p in plan.parameters}),
            json.dumps(plan.outcome_names),
            plan.network.dataset_hash,
            __version__,
        ],
    )


def _write_manifest(plan: Plan) -> None:
    plan.folder.mkdir(parents=True, exist_ok=True)
    manifest = {
        "ensemble_id": plan.ensemble_id,
        "spec": asdict(plan.spec),
        "runs": plan.runs,
        "batches": plan.batches,
        "parameters": {p.name: p.spec | {"integer": p.integer} for p in plan.parameters},
        "outcomes": plan.outcome_names,
        "tracked_origins": plan.tracked_origins,
        "never_months_to_shortfall": "horizon + 1",
        "dataset_hash": plan.network.dataset_hash,
        "code_version": __version__,
    }
    (plan.folder / "ensemble.json").write_text(json.dumps(manifest, indent=2), "utf-8")


def run_ensemble(
    spec: EnsembleSpec,
    *,
    evaluator: Evaluator | None = None,
    network: Network | None = None,
    out: str | Path | None = None,
    db: str | Path | None = None,
    max_batches: int | None = None,
    chunk: int = 100,
    progress: bool = False,
) -> EnsembleRun:
    """Evaluate the missing batches of an ensemble and stream them to disk.

    ``max_batches`` stops after that many new batches (the rest can be resumed later).
    ``evaluator`` defaults to running in this process; see ``oreshock.ensemble.evaluators``.
    """
    started = time.perf_counter()
    plan = plan_ensemble(spec, network=network, out=out, db=db)
    _write_manifest(plan)
    todo = [i for i in range(plan.batches) if not plan.batch_file(i).exists()]
    if max_batches is not None:
        todo = todo[: max(max_batches, 0)]
    done = plan.batches - sum(1 for i in range(plan.batches) if not plan.batch_file(i).exists())
    _register(plan, db, done, "running", 0.0)
    evaluator = evaluator if evaluator is not None else SequentialEvaluator()
    bar = _progress(progress)
    with bar:
        job = bar.add_task(f"ensemble {plan.ensemble_id}", total=plan.runs)
        bar.update(job, completed=min(done * spec.batch_size, plan.runs))
        tasks = (plan.task(i, chunk) for i in todo)
        with evaluator:
            for frame in evaluator.imap_unordered(evaluate_batch, tasks):
                index = int(frame["run"].iloc[0]) // spec.batch_size
                path = plan.batch_file(index)
                tmp = path.with_suffix(".parquet.tmp")
                frame.to_parquet(tmp, index=False)
                os.replace(tmp, path)
                done += 1
                _index(
                    db,
                    "INSERT OR REPLACE INTO ensemble_batches (ensemble_id, batch, first_run, rows, "
                    "file, seconds) VALUES (?, ?, ?, ?, ?, ?)",
                    [
                        plan.ensemble_id,
                        index,
                        int(frame["run"].iloc[0]),
                        len(frame),
                        str(path),
                        time.perf_counter() - started,
                    ],
                )
                bar.update(job, advance=len(frame))
    seconds = time.perf_counter() - started
    status = "complete" if done == plan.batches else "partial"
    _register(plan, db, done, status, seconds)
    return EnsembleRun(
        plan.ensemble_id,
        plan.folder,
        plan.runs,
        plan.batches,
        done,
        seconds,
        plan.parameters,
        plan.outcome_names,
        spec.method,
        spec.seed,
    )


def _progress(enabled: bool) -> Progress:
    return Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        "runs",
        TimeRemainingColumn(),
        console=Console(stderr=True),
        disable=not enabled,
        transient=False,
    )


def load_results(folder: str | Path, columns: list[str] | None = None) -> pd.DataFrame:
    """All runs written so far (or only ``columns``), in run order."""
    files = sorted(Path(folder).glob("batch-*.parquet"))
    if not files:
        raise EnsembleError(f"{folder}: no results written yet")
    cols = None if columns is None else ["run", *[c for c in columns if c != "run"]]
    frame = pd.concat([pd.read_parquet(f, columns=cols) for f in files], ignore_index=True)
    return frame.sort_values("run", ignore_index=True)


def list_ensembles(db: str | Path | None = None) -> pd.DataFrame:
    with Store(db) as store:
        return store.con.execute(
            "SELECT ensemble_id, created, scenario, variant, runs, method, seed, status, "
            "batches_done, batches, round(seconds, 2) AS seconds, folder "
            "FROM ensembles ORDER BY created DESC"
        ).df()


def get_ensemble(ensemble_id: str, db: str | Path | None = None) -> dict:
    """The indexed record of one ensemble, with its parameters and outcome names decoded."""
    with Store(db) as store:
        df = store.con.execute("SELECT * FROM ensembles WHERE ensemble_id = ?", [ensemble_id]).df()
    if df.empty:
        raise UnknownIdError(f"no ensemble {ensemble_id!r} in {Path(db or default_path())}")
    record = df.iloc[0].to_dict()
    record["parameters"] = json.loads(record.pop("parameters_json"))
    record["outcomes"] = json.loads(record.pop("outcomes_json"))
    return record
