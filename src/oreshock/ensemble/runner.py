"""Ensembles: many runs over sampled uncertain parameters, streamed to Parquet batch by batch.

An ensemble is fixed by its spec (scenario text, variant, runs, seed, method, parameters,
target, batch size, dataset hash, code version); its id is a hash of that spec, so running
the same command again resumes it: batches whose Parquet file is verified are skipped, and
the samples are regenerated identically from the seed, so a resumed ensemble's files equal an
uninterrupted one's byte for byte. Each batch is written atomically (temporary file, fsync,
rename) and indexed in the results DuckDB (tables ``ensembles`` and ``ensemble_batches``,
with the file's row count and sha256) as it finishes, so only a few batches are ever held in
memory. A batch counts as done only when its file matches the index (or, with no index row,
when a full read finds its runs); anything else is computed again, with a warning.

The ``ensembles`` row names its owner (pid, host) and a heartbeat renewed with every batch.
The run writes its own ending (``complete``, ``partial``; ``interrupted`` on Ctrl-C or
SIGTERM; ``failed`` on an error); a process killed outright cannot, so a "running" row whose
owner on this host is gone (or whose pid now belongs to a later process) reads
``interrupted``. A live owner keeps a second process from running the same ensemble.

Outcomes per run, for the target country and each stage where it has demand, are named
``METRIC.COUNTRY.MINERAL.STAGE`` with METRIC one of months_to_shortfall (months from the
start to the first month short by more than the scenario's threshold; horizon + 1 when never),
peak_shortfall_pct and cumulative_shortfall_pct; and each run's monthly shortfall (% of demand)
per cell, a list column ``path.shortfall_pct.COUNTRY.MINERAL.STAGE`` (``paths`` in the
manifest), from which ``ensemble.bands`` draws percentile bands over time. ``load_results``
reads the figures; the paths are read only when asked for by name.

Besides the scenario's own distributions, an ensemble samples every dataset stock range the
scenario uses (``stock_parameters``, the same parameters as ``oreshock run --uncertainty``),
unless the scenario sets that level itself or the spec turns them off (``stock_ranges``);
the stored parameters say which came from the dataset (``"source": "dataset"``).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import shlex
import signal
import socket
import threading
import time
import warnings
from collections.abc import Collection, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

from oreshock.core.atomic import write_text
from oreshock.core.errors import OreshockWarning, UnknownIdError
from oreshock.core.version import __version__
from oreshock.ensemble.batching import (
    BatchExpect,
    BatchTask,
    OutcomeCell,
    check_batch,
    evaluate_batch,
    outcome_cells,
    write_batch,
)
from oreshock.ensemble.evaluators import Evaluator, SequentialEvaluator
from oreshock.ensemble.sampling import (
    METHODS,
    EnsembleError,
    Parameter,
    ParameterError,
    check_spec,
    dotted,
    sample,
    scenario_parameters,
)
from oreshock.model.network import Network, build_network
from oreshock.model.scenario import Scenario, ScenarioFile, open_scenario
from oreshock.model.simulate import simulate
from oreshock.model.stocks import stock_ranges
from oreshock.store.store import Store, default_path, open_read

MANIFEST = "ensemble.json"
BATCH_FORMAT = 2
"""Version of the batch files' columns, part of the ensemble id (2: monthly paths kept), so an
ensemble run before a change of columns is never resumed into files of another shape."""
DATASET_STOCK_RANGE = "dataset stock range"
"""The ``about`` of a parameter drawn from a dataset stock range (not written in the scenario)."""


class DamagedBatchWarning(OreshockWarning):
    """A batch file on disk is not the batch that was written; it is computed again."""


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
    stock_ranges: bool = True
    """Also sample the dataset stock ranges the scenario uses (``--no-stock-ranges``: off)."""


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
    dataset_parameters: tuple[str, ...] = ()
    """Names of the parameters drawn from dataset stock ranges, not from the scenario."""

    @property
    def runs(self) -> int:
        return len(self.values)

    def stored_parameters(self) -> dict[str, dict]:
        """{name: distribution, integer, source} as the index and the manifest keep them;
        source is "dataset" (a stock range) or "scenario" (its file or ``--param``)."""
        return {
            p.name: p.spec
            | {
                "integer": p.integer,
                "source": "dataset" if p.name in self.dataset_parameters else "scenario",
            }
            for p in self.parameters
        }

    @property
    def batches(self) -> int:
        return -(-self.runs // self.spec.batch_size)

    @property
    def outcome_names(self) -> list[str]:
        return [c for cell in self.cells for c in cell.columns(self.spec.target)]

    @property
    def path_names(self) -> list[str]:
        """The list columns of each run's monthly shortfall path, one per outcome cell."""
        return [cell.path_column(self.spec.target) for cell in self.cells]

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
    db: Path | None = None
    recomputed: list[Path] = field(default_factory=list)
    """Damaged batch files found on resume and computed again."""
    dataset_parameters: tuple[str, ...] = ()
    """Names of the parameters drawn from dataset stock ranges."""

    @property
    def complete(self) -> bool:
        return self.batches_done == self.batches

    def results(self, columns: list[str] | None = None) -> pd.DataFrame:
        return load_results(self.folder, columns, db=self.db)


def ensembles_folder(db: str | Path | None = None) -> Path:
    """Default home of ensemble folders: ``ensembles/`` next to the results database."""
    return Path(db if db is not None else default_path()).parent / "ensembles"


def stock_parameters(
    scenario: Scenario, network: Network, taken: Collection[str] = ()
) -> list[Parameter]:
    """Every dataset stock range ``scenario`` uses, as a triangular parameter on (low, value,
    high), except names in ``taken`` (a scenario's or ``--param``'s own distribution wins).

    Shared by ``oreshock ensemble`` and ``oreshock run --uncertainty`` so both sample the same
    ranges; a level the scenario sets itself is left out already by ``stock_ranges``.
    """
    params = []
    for path, spec in stock_ranges(scenario, network).items():
        name = dotted(path)
        if name not in taken:
            params.append(Parameter(name, path, check_spec(name, spec), False, DATASET_STOCK_RANGE))
    return params


def _scenario_parameters(sf: ScenarioFile, spec: EnsembleSpec) -> list[Parameter]:
    """The variant's own distributions and ``--param``s; none (rather than an error) when it
    has none, since dataset stock ranges may still be uncertain."""
    if not sf.uncertain(spec.variant) and not spec.params:
        return []
    return scenario_parameters(sf, spec.variant, spec.params)


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
    own = _scenario_parameters(sf, spec)
    central = sf.build(spec.variant)
    stocks = stock_parameters(central, network, {p.name for p in own}) if spec.stock_ranges else []
    params = [*own, *stocks]
    if not params:
        raise ParameterError(
            f"{sf.path}: variant {spec.variant!r} has no uncertain parameters"
            + (" and uses no dataset stock range" if spec.stock_ranges else "")
            + "; write a value as {dist: uniform, low: ..., high: ...} or pass "
            "--param NAME=uniform:LOW:HIGH"
        )
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
        "batch_format": BATCH_FORMAT,
    }
    key.pop("params")
    # The parameters above already say whether stock ranges were sampled; left out of the id,
    # the switch keeps the id an ensemble with no stock range to sample had before it existed.
    key.pop("stock_ranges")
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
        tuple(p.name for p in stocks),
    )


def _utcnow() -> dt.datetime:
    """Naive UTC, as the store keeps heartbeats (comparable with process start times)."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def _register(plan: Plan, db: str | Path | None, done: int, status: str, seconds: float) -> None:
    """The ensemble's row: its spec, progress, status and owner (this process, this host)."""
    with Store(db) as store:
        _write_row(store, plan, done, status, seconds)


def _write_row(store: Store, plan: Plan, done: int, status: str, seconds: float) -> None:
    spec = plan.spec
    store.con.execute(
        "INSERT OR REPLACE INTO ensembles (ensemble_id, created, scenario, variant, runs, seed, "
        "method, target, batch_size, batches, batches_done, status, seconds, folder, "
        "parameters_json, outcomes_json, dataset_hash, code_version, owner_pid, owner_host, "
        "heartbeat) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
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
            json.dumps(plan.stored_parameters()),
            json.dumps(plan.outcome_names),
            plan.network.dataset_hash,
            __version__,
            os.getpid(),
            socket.gethostname(),
            _utcnow(),
        ],
    )


Index = dict[int, tuple[int, str | None]]
"""Batch number -> (rows, sha256) as the index records it."""


def _claim(plan: Plan, db: str | Path | None) -> Index:
    """Mark the ensemble running in this process and return its batch index, in one
    transaction; refuse if a live process on this host is running it already."""
    with Store(db) as store, store.transaction() as con:
        row = con.execute(
            "SELECT status, owner_pid, owner_host, heartbeat FROM ensembles WHERE ensemble_id = ?",
            [plan.ensemble_id],
        ).fetchone()
        if row is not None and _owner_alive(*row) and row[1] != os.getpid():
            raise EnsembleError(
                f"ensemble {plan.ensemble_id} is being run by process {row[1]} on {row[2]} "
                f"(folder {plan.folder}); wait for it to finish or stop it, then run the same "
                "command again to resume"
            )
        _write_row(store, plan, 0, "running", 0.0)
        rows = con.execute(
            "SELECT batch, rows, sha256 FROM ensemble_batches WHERE ensemble_id = ?",
            [plan.ensemble_id],
        ).fetchall()
    return {int(b): (int(r), s) for b, r, s in rows}


def _expect(plan: Plan, index: int) -> BatchExpect:
    lo = index * plan.spec.batch_size
    rows = min(plan.spec.batch_size, plan.runs - lo)
    columns = ["run", *[p.name for p in plan.parameters], *plan.outcome_names, *plan.path_names]
    return BatchExpect(plan.batch_file(index), lo, rows, columns)


def _survey(plan: Plan, db: str | Path | None, indexed: Index) -> tuple[list[int], list[Path]]:
    """Which batches are done (verified), which damaged files will be recomputed; batches
    found complete on disk but missing from the index are indexed now."""
    for stale in plan.folder.glob(".batch-*.parquet.tmp-*"):  # left by a killed writer
        stale.unlink(missing_ok=True)
    done: list[int] = []
    damaged: list[Path] = []
    found: list[tuple[BatchExpect, str]] = []
    for i in range(plan.batches):
        expect = _expect(plan, i)
        check = check_batch(expect, indexed.get(i))
        if check.ok:
            done.append(i)
            if check.sha256 is not None:
                found.append((expect, check.sha256))
        elif check.exists:
            damaged.append(check.path)
            warnings.warn(
                f"{check.path}: damaged batch ({check.problem}); it is computed again",
                DamagedBatchWarning,
                stacklevel=3,
            )
    if found:
        with Store(db) as store, store.transaction():
            for expect, sha in found:
                _index_batch(store, plan, expect, sha, 0.0)
    return done, damaged


def _index_batch(store: Store, plan: Plan, expect: BatchExpect, sha: str, seconds: float) -> None:
    index = expect.first_run // plan.spec.batch_size
    store.con.execute(
        "INSERT OR REPLACE INTO ensemble_batches (ensemble_id, batch, first_run, rows, file, "
        "seconds, sha256) VALUES (?, ?, ?, ?, ?, ?, ?)",
        [plan.ensemble_id, index, expect.first_run, expect.rows, str(expect.path), seconds, sha],
    )


def _record(
    plan: Plan, db: str | Path | None, expect: BatchExpect, sha: str, done: int, seconds: float
) -> None:
    """Index one written batch and beat the heart, in one short transaction."""
    with Store(db) as store, store.transaction() as con:
        _index_batch(store, plan, expect, sha, seconds)
        con.execute(
            "UPDATE ensembles SET batches_done = ?, heartbeat = ?, owner_pid = ?, "
            "owner_host = ? WHERE ensemble_id = ?",
            [done, _utcnow(), os.getpid(), socket.gethostname(), plan.ensemble_id],
        )


def _write_manifest(plan: Plan) -> None:
    manifest = {
        "ensemble_id": plan.ensemble_id,
        "spec": asdict(plan.spec),
        "runs": plan.runs,
        "batches": plan.batches,
        "parameters": plan.stored_parameters(),
        "outcomes": plan.outcome_names,
        "paths": plan.path_names,
        "batch_format": BATCH_FORMAT,
        "tracked_origins": plan.tracked_origins,
        "never_months_to_shortfall": "horizon + 1",
        "dataset_hash": plan.network.dataset_hash,
        "code_version": __version__,
    }
    write_text(plan.folder / MANIFEST, json.dumps(manifest, indent=2))


@dataclass
class _Signals:
    received: int | None = None


@contextlib.contextmanager
def _interrupts() -> Iterator[_Signals]:
    """Ctrl-C and SIGTERM raise KeyboardInterrupt, and say so: DuckDB turns an interrupt
    inside a query into its own RuntimeError, which must still count as interrupted. Only
    the main thread can set handlers; elsewhere this does nothing."""
    seen = _Signals()
    if threading.current_thread() is not threading.main_thread():
        yield seen
        return

    def interrupt(signum: int, frame: object) -> None:
        seen.received = signum
        raise KeyboardInterrupt(signal.Signals(signum).name)

    previous = {s: signal.signal(s, interrupt) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield seen
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


def _end(plan: Plan, db: str | Path | None, status: str, seconds: float) -> None:
    """Write how the run ended, only if this process still owns the ensemble's row (never
    over another process that runs it, say after a refused second start)."""
    with Store(db) as store:
        store.con.execute(
            "UPDATE ensembles SET status = ?, seconds = ?, heartbeat = ? WHERE ensemble_id = ? "
            "AND owner_pid = ? AND owner_host = ? AND status = 'running'",
            [status, seconds, _utcnow(), plan.ensemble_id, os.getpid(), socket.gethostname()],
        )


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
    A batch counts as done only when its file matches the index (sha256 and rows); a
    damaged one is computed again, with a ``DamagedBatchWarning`` naming the file. The
    ensemble ends ``complete`` or ``partial``; ``interrupted`` on Ctrl-C or SIGTERM
    (raised as KeyboardInterrupt), ``failed`` on any other error (re-raised).
    """
    started = time.perf_counter()
    plan = plan_ensemble(spec, network=network, out=out, db=db)
    _write_manifest(plan)
    with _interrupts() as seen:
        try:
            return _evaluate(plan, db, evaluator, max_batches, chunk, progress, started)
        except BaseException as exc:
            stopped = seen.received is not None or isinstance(exc, KeyboardInterrupt | SystemExit)
            # Best effort, never hiding why it stopped: an owner that is gone reads
            # "interrupted" anyway.
            with contextlib.suppress(Exception):
                _end(
                    plan, db, "interrupted" if stopped else "failed", time.perf_counter() - started
                )
            if seen.received is not None and not isinstance(exc, KeyboardInterrupt):
                raise KeyboardInterrupt(signal.Signals(seen.received).name) from exc
            raise


def _evaluate(
    plan: Plan,
    db: str | Path | None,
    evaluator: Evaluator | None,
    max_batches: int | None,
    chunk: int,
    progress: bool,
    started: float,
) -> EnsembleRun:
    """Claim the ensemble, verify its batches, compute the missing ones, write the ending."""
    finished, damaged = _survey(plan, db, _claim(plan, db))
    todo = sorted(set(range(plan.batches)) - set(finished))
    if max_batches is not None:
        todo = todo[: max(max_batches, 0)]
    done = len(finished)
    _register(plan, db, done, "running", 0.0)
    evaluator = evaluator if evaluator is not None else SequentialEvaluator()
    with _progress(progress) as bar:
        job = bar.add_task(f"ensemble {plan.ensemble_id}", total=plan.runs)
        bar.update(job, completed=sum(_expect(plan, i).rows for i in finished))
        tasks = (plan.task(i, chunk) for i in todo)
        with evaluator:
            for frame in evaluator.imap_unordered(evaluate_batch, tasks):
                expect = _expect(plan, int(frame["run"].iloc[0]) // plan.spec.batch_size)
                sha = write_batch(expect.path, frame)
                done += 1
                _record(plan, db, expect, sha, done, time.perf_counter() - started)
                bar.update(job, advance=len(frame))
    seconds = time.perf_counter() - started
    _register(plan, db, done, "complete" if done == plan.batches else "partial", seconds)
    return EnsembleRun(
        plan.ensemble_id,
        plan.folder,
        plan.runs,
        plan.batches,
        done,
        seconds,
        plan.parameters,
        plan.outcome_names,
        plan.spec.method,
        plan.spec.seed,
        db=Path(db) if db is not None else default_path(),
        recomputed=damaged,
        dataset_parameters=plan.dataset_parameters,
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


def resume_command(folder: str | Path, db: str | Path | None = None) -> str:
    """The ``oreshock ensemble`` command that resumes (and repairs) the ensemble in
    ``folder``, from its manifest: same spec, same folder, same database."""
    folder = Path(folder)
    try:
        spec = json.loads((folder / MANIFEST).read_text("utf-8"))["spec"]
    except (OSError, ValueError, KeyError):
        return "the `oreshock ensemble` command that made it, with the same options"
    words = ["oreshock", "ensemble", spec["scenario"]]
    if spec.get("variant"):
        words += ["--variant", spec["variant"]]
    for option in ("runs", "seed", "method", "target", "batch_size"):
        words += [f"--{option.replace('_', '-')}", str(spec[option])]
    if not spec.get("stock_ranges", True):
        words.append("--no-stock-ranges")
    for name, dist in spec.get("params", {}).items():
        words += [
            "--param",
            ":".join([f"{name}={dist['dist']}", *map(str, list(dist.values())[1:])]),
        ]
    words += ["--out", str(folder.parent)]
    if db is not None:
        words += ["--db", str(db)]
    return " ".join(shlex.quote(w) for w in words)


class DamagedBatchError(EnsembleError):
    """Batch files that are not what was written; ``files`` names them."""

    def __init__(self, files: list[Path], problems: list[str], repair: str) -> None:
        self.files = files
        lines = "\n  ".join(f"{f}: {p}" for f, p in zip(files, problems, strict=True))
        super().__init__(
            f"{len(files)} damaged batch file(s), not read:\n  {lines}\n"
            f"To compute them again, resume the ensemble: {repair}"
        )


def read_manifest(folder: Path) -> dict:
    """The ensemble folder's manifest ({} when it is missing or unreadable)."""
    try:
        manifest: dict = json.loads((folder / MANIFEST).read_text("utf-8"))
    except (OSError, ValueError):
        return {}
    return manifest


def _folder_expectations(folder: Path, files: list[Path]) -> tuple[str | None, list[BatchExpect]]:
    """Each file's expected runs and columns, from the folder's manifest (None: unknown)."""
    manifest = read_manifest(folder)
    try:
        size = int(manifest["spec"]["batch_size"])
        runs = int(manifest["runs"])
        columns = [
            "run",
            *manifest["parameters"],
            *manifest["outcomes"],
            *manifest.get("paths", []),  # none before batch format 2
        ]
        eid = str(manifest["ensemble_id"])
    except (KeyError, TypeError, ValueError):
        return None, []
    out = []
    for path in files:
        lo = int(path.stem.split("-")[1]) * size
        out.append(BatchExpect(path, lo, max(min(size, runs - lo), 0), columns))
    return eid, out


def _indexed(db: str | Path | None, ensemble_id: str | None) -> Index:
    if db is None or ensemble_id is None or not Path(db).exists():
        return {}
    with open_read(db) as store:
        rows = store.con.execute(
            "SELECT batch, rows, sha256 FROM ensemble_batches WHERE ensemble_id = ?",
            [ensemble_id],
        ).fetchall()
    return {int(b): (int(r), s) for b, r, s in rows}


def verify_folder(folder: str | Path, db: str | Path | None = None) -> list[Path]:
    """The batch files of ``folder``, each checked (against the index in ``db`` when given,
    else by reading it in full); raises ``DamagedBatchError`` naming every bad one."""
    folder = Path(folder)
    files = sorted(folder.glob("batch-*.parquet"))
    eid, expects = _folder_expectations(folder, files)
    if not expects:  # no manifest: only readability can be checked
        expects = [BatchExpect(f, 0, -1) for f in files]
    index = _indexed(db, eid)
    bad: list[tuple[Path, str]] = []
    for expect in expects:
        number = int(expect.path.stem.split("-")[1])
        if expect.rows < 0:
            problem = _unreadable(expect.path)
        else:
            problem = check_batch(expect, index.get(number)).problem
        if problem:
            bad.append((expect.path, problem))
    if bad:
        raise DamagedBatchError(
            [f for f, _ in bad], [p for _, p in bad], resume_command(folder, db)
        )
    return files


def _unreadable(path: Path) -> str | None:
    try:
        pd.read_parquet(path, columns=["run"])
    except Exception as exc:  # pyarrow raises several types for a cut or garbled file
        return f"not a readable Parquet file ({type(exc).__name__}: {exc})"
    return None


def load_results(
    folder: str | Path, columns: list[str] | None = None, *, db: str | Path | None = None
) -> pd.DataFrame:
    """All runs written so far, in run order: their parameters and outcome figures, or only
    ``columns`` (which may name monthly path columns, read as arrays).

    Every batch file is verified first (``verify_folder``): a damaged one is refused with
    a ``DamagedBatchError`` that names it and the command that recomputes it.
    """
    files = verify_folder(folder, db)
    if not files:
        raise EnsembleError(f"{folder}: no results written yet")
    if columns is None:
        manifest = read_manifest(Path(folder))
        columns = [*manifest.get("parameters", []), *manifest.get("outcomes", [])] or None
    cols = None if columns is None else ["run", *[c for c in columns if c != "run"]]
    frame = pd.concat([pd.read_parquet(f, columns=cols) for f in files], ignore_index=True)
    return frame.sort_values("run", ignore_index=True)


# Whether the process that owns a "running" ensemble still runs it.

PID_REUSE_MARGIN = 2.0
"""Seconds: a process with the owner's pid that started this long after the owner's last
heartbeat is another process (start times from /proc are exact to about a second)."""


def _process(pid: int) -> tuple[str, float] | None:
    """Linux: (state letter, start time as a Unix time) of ``pid``, None if unknown."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        boot = next(
            float(line.split()[1])
            for line in Path("/proc/stat").read_text().splitlines()
            if line.startswith("btime ")
        )
    except (OSError, StopIteration, ValueError, IndexError):
        return None
    fields = stat.rsplit(")", 1)[1].split()
    return fields[0], boot + int(fields[19]) / os.sysconf("SC_CLK_TCK")


def _pid_alive(pid: int, since: dt.datetime | None) -> bool:
    """Whether ``pid`` is a live process that may be the one that beat at ``since`` (UTC)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # it exists, under another user
    info = _process(pid)
    if info is None:
        return True
    state, start = info
    if state in ("Z", "X"):
        return False
    if since is None or pd.isna(since):
        return True
    beat = pd.Timestamp(since).tz_localize(None).replace(tzinfo=dt.UTC).timestamp()
    return start <= beat + PID_REUSE_MARGIN


def _owner_alive(status: Any, pid: Any, host: Any, heartbeat: Any) -> bool:
    """A "running" ensemble whose owner runs on this host and is still alive. Owners on
    other hosts cannot be checked from here and count as alive."""
    if status != "running" or pid is None or pd.isna(pid):
        return False
    if host != socket.gethostname():
        return True
    since = None if heartbeat is None or pd.isna(heartbeat) else pd.Timestamp(heartbeat)
    return _pid_alive(int(pid), since)


def _status(row: dict) -> str:
    """The status as it is: ``interrupted`` for a "running" ensemble whose owner on this
    host is gone (killed: it never wrote its own ending)."""
    status = str(row["status"])
    if status == "running" and not _owner_alive(
        status, row.get("owner_pid"), row.get("owner_host"), row.get("heartbeat")
    ):
        return "interrupted"
    return status


def list_ensembles(db: str | Path | None = None) -> pd.DataFrame:
    """Every indexed ensemble, newest first, with its status as it is now."""
    with open_read(db) as store:
        df = store.con.execute(
            "SELECT ensemble_id, created, scenario, variant, runs, method, seed, status, "
            "batches_done, batches, round(seconds, 2) AS seconds, folder, owner_pid, "
            "owner_host, heartbeat FROM ensembles ORDER BY created DESC"
        ).df()
    df["status"] = [_status(row) for row in df.to_dict(orient="records")]
    return df.drop(columns=["owner_pid", "owner_host", "heartbeat"])


def central_scenario(record: dict) -> Scenario:
    """The central scenario an indexed ensemble's runs vary (its start and horizon)."""
    return open_scenario(str(record["scenario"])).build(record.get("variant") or None)


def get_ensemble(ensemble_id: str, db: str | Path | None = None) -> dict:
    """The indexed record of one ensemble, with its parameters and outcome names decoded
    and its status as it is now (see ``list_ensembles``)."""
    with open_read(db) as store:
        df = store.con.execute("SELECT * FROM ensembles WHERE ensemble_id = ?", [ensemble_id]).df()
    if df.empty:
        raise UnknownIdError(f"no ensemble {ensemble_id!r} in {Path(db or default_path())}")
    record = df.iloc[0].to_dict()
    record["status"] = _status(record)
    record["parameters"] = json.loads(record.pop("parameters_json"))
    record["outcomes"] = json.loads(record.pop("outcomes_json"))
    return record
