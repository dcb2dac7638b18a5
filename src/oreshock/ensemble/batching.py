"""Evaluate many sampled parameter sets as one vectorised engine call.

Each sample is built into a Scenario (so any numeric field, however it enters the model, is
handled by the same code as a single run) and compiled with ``batch=1``; compiling costs
~0.2 ms against tens of ms of stepping. Members whose compiled *structure* agrees (the same
time windows, licence delays, substitution lags, ...) are stacked along the leading batch
axis and stepped together by ``run_chains``; members that differ in structure (say, a sampled
start month) go in separate stacks, so results never depend on how runs were grouped.

Besides three figures per outcome cell, each run keeps its monthly path of shortfall (percent
of that month's demand, as float32: seven significant digits, ample for percentile bands read
to a tenth of a percent) in a list column ``path.shortfall_pct.COUNTRY.MINERAL.STAGE``, so an
ensemble's page can draw bands over time without running anything again.

A batch's results go to one Parquet file (``write_batch``: temporary file, fsync, rename),
whose sha256 and row count the runner keeps in the index; ``check_batch`` says whether a
file on disk is still that batch, so a cut or damaged file is recomputed, never trusted.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from oreshock.core.atomic import file_sha256, write_file
from oreshock.model.compile import ChainInputs, compile_chain
from oreshock.model.linking import linked_groups
from oreshock.model.network import Network
from oreshock.model.outcomes import (
    cumulative_shortfall_pct,
    months_to_shortfall,
    shortfall_pct_path,
)
from oreshock.model.record import ChainRun
from oreshock.model.scenario import ScenarioFile
from oreshock.model.simulate import run_chains
from oreshock.model.stacking import stack_inputs, structure_key

METRICS = ("months_to_shortfall", "peak_shortfall_pct", "cumulative_shortfall_pct")
PATH_PREFIX = "path.shortfall_pct."
"""Prefix of the list columns holding each run's monthly shortfall (% of demand) per cell."""


def never_value(months: int) -> int:
    """What ``months_to_shortfall`` holds for a run that never falls short: horizon + 1."""
    return months + 1


@dataclass(frozen=True)
class OutcomeCell:
    """One target country x mineral x stage whose outcomes an ensemble records."""

    mineral: str
    stage: str
    stage_index: int

    def columns(self, country: str) -> list[str]:
        return [f"{m}.{country}.{self.mineral}.{self.stage}" for m in METRICS]

    def path_column(self, country: str) -> str:
        return f"{PATH_PREFIX}{country}.{self.mineral}.{self.stage}"


def outcome_cells(network: Network, summary: pd.DataFrame) -> list[OutcomeCell]:
    """Cells from a single run's summary for the target (the stages where it has demand)."""
    pairs = zip(summary["mineral"].astype(str), summary["stage"].astype(str), strict=True)
    return [
        OutcomeCell(mineral, stage, network.chain(mineral).stages.index(stage))
        for mineral, stage in pairs
    ]


@dataclass
class BatchTask:
    """One batch of an ensemble: everything a worker needs, picklable, no shared state."""

    index: int
    first_run: int
    values: np.ndarray  # (n, k) parameter values
    names: list[str]
    paths: list[tuple]
    scenario_text: str
    scenario_path: str
    variant: str | None
    network: Network
    target: str
    tracked_origins: list[str]
    cells: list[OutcomeCell]
    chunk: int = 100


def _outcomes(
    run: ChainRun, country: int, cells: list[OutcomeCell], months: int
) -> tuple[np.ndarray, np.ndarray]:
    """Outcomes of one chain's stacked run for the target country: (B, 3 x len(cells))
    figures, and (B, len(cells), T) monthly shortfall paths (% of demand)."""
    short = run.series["shortfall"][:, :, country, :]  # (T, B, S)
    demand = run.series["demand"][:, :, country, :]
    first = months_to_shortfall(short, demand, run.inputs.threshold).astype(float)
    first[first < 0] = never_value(months)
    path = shortfall_pct_path(short, demand)
    peak = path.max(axis=0)
    cumulative = cumulative_shortfall_pct(short, demand)
    stages = [cell.stage_index for cell in cells]
    figures = np.stack([first[:, stages], peak[:, stages], cumulative[:, stages]], axis=2)
    return figures.reshape(len(figures), -1), path[:, :, stages].transpose(1, 2, 0)


def _fill_outcomes(
    result: np.ndarray,
    paths: np.ndarray,
    task: BatchTask,
    mineral: str,
    run: ChainRun,
    rows: list[int],
) -> None:
    """Write one chain's outcomes for the target country into ``result`` (figures, cells in
    ``task.cells`` order, three each) and ``paths`` (run, cell, month)."""
    chain = task.network.chain(mineral)
    first = next((k for k, c in enumerate(task.cells) if c.mineral == mineral), None)
    if first is None or task.target not in chain.countries:
        return
    cells = [c for c in task.cells if c.mineral == mineral]
    country = chain.countries.index(task.target)
    figures, path = _outcomes(run, country, cells, paths.shape[2])
    result[rows, 3 * first : 3 * (first + len(cells))] = figures
    paths[rows, first : first + len(cells)] = path


def evaluate_batch(task: BatchTask) -> pd.DataFrame:
    """Runs of one batch: a row per run with its parameters and outcomes."""
    sf = ScenarioFile(task.scenario_text, task.scenario_path)
    n = len(task.values)
    scenarios = [
        sf.build(task.variant, dict(zip(task.paths, row.tolist(), strict=True)))
        for row in task.values
    ]
    minerals = task.network.covered(scenarios[0])
    columns = [c for cell in task.cells for c in cell.columns(task.target)]
    result = np.full((n, len(columns)), np.nan)
    paths = np.full((n, len(task.cells), scenarios[0].months), np.nan, dtype=np.float32)
    recipes = {m: task.network.chain(m).recipe for m in minerals}
    checked = [False] * n  # each sample's scenario is checked once, by its first compile
    groups = [
        g for g in linked_groups(minerals, recipes) if any(c.mineral in g for c in task.cells)
    ]
    # Samples are compiled a chunk at a time, so a batch's memory is that of one chunk of
    # compiled inputs (a thousand samples' inputs at once took a worker past 1 GiB).
    for lo in range(0, n, task.chunk):
        for group in groups:
            structures: dict[tuple, list[tuple[int, dict[str, ChainInputs]]]] = {}
            for i in range(lo, min(lo + task.chunk, n)):
                compiled = {
                    m: compile_chain(
                        task.network.chain(m),
                        scenarios[i],
                        task.network,
                        tracked_origins=task.tracked_origins,
                        checked=checked[i],
                    )
                    for m in group
                }
                checked[i] = True
                key = tuple(structure_key(compiled[m]) for m in group)
                structures.setdefault(key, []).append((i, compiled))
            for part in structures.values():
                runs = run_chains({m: stack_inputs([c[m] for _, c in part]) for m in group})
                rows = [i for i, _ in part]
                for mineral, run in runs.items():
                    _fill_outcomes(result, paths, task, mineral, run, rows)
    frame = pd.DataFrame(task.values, columns=task.names)
    frame.insert(0, "run", np.arange(task.first_run, task.first_run + n, dtype=np.int64))
    monthly = {
        cell.path_column(task.target): list(paths[:, k]) for k, cell in enumerate(task.cells)
    }
    return pd.concat([frame, pd.DataFrame(result, columns=columns), pd.DataFrame(monthly)], axis=1)


# Batch files: each batch is one Parquet file, written atomically, and counts as done only
# when it still matches what was written (its sha256 and row count, kept in the index).


def batch_bytes(frame: pd.DataFrame) -> bytes:
    """A batch's Parquet file as bytes (the same frame always gives the same bytes)."""
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False)
    return buffer.getvalue()


def write_batch(path: Path, frame: pd.DataFrame) -> str:
    """Write ``frame`` to ``path`` (temporary file, fsync, rename); returns its sha256."""
    data = batch_bytes(frame)
    write_file(path, lambda tmp: tmp.write_bytes(data))
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class BatchExpect:
    """What a batch file must hold: its runs, and (when known) its columns."""

    path: Path
    first_run: int
    rows: int
    columns: list[str] | None = None


@dataclass(frozen=True)
class BatchCheck:
    """The verdict on one batch file: ``ok``, or ``problem`` says what is wrong with it."""

    path: Path
    exists: bool
    problem: str | None = None
    sha256: str | None = None  # set when the file was verified by reading it (not yet indexed)

    @property
    def ok(self) -> bool:
        return self.exists and self.problem is None


def check_batch(expect: BatchExpect, indexed: tuple[int, str | None] | None) -> BatchCheck:
    """Is the batch file complete? Against the index (rows, sha256) when it has the file's
    checksum; else by reading the whole file and checking its run range and columns (a
    batch renamed into place by a process killed before it updated the index)."""
    path = expect.path
    if not path.exists():
        return BatchCheck(path, False)
    rows, sha = indexed if indexed is not None else (0, None)
    if sha:
        if rows != expect.rows:
            return BatchCheck(path, True, f"indexed with {rows} rows, expected {expect.rows}")
        found = file_sha256(path)
        if found != sha:
            return BatchCheck(
                path, True, f"sha256 {found[:12]}… differs from the index's {sha[:12]}…"
            )
        return BatchCheck(path, True)
    problem = _read_problem(expect)
    return BatchCheck(path, True, problem, None if problem else file_sha256(path))


def _read_problem(expect: BatchExpect) -> str | None:
    """What is wrong with a batch file read in full, or None."""
    try:
        frame = pd.read_parquet(expect.path)
    except Exception as exc:  # pyarrow raises several types for a cut or garbled file
        return f"not a readable Parquet file ({type(exc).__name__}: {exc})"
    if expect.columns is not None and list(frame.columns) != expect.columns:
        return f"columns differ from the ensemble's ({len(frame.columns)} found, {len(expect.columns)} expected)"
    if "run" not in frame.columns:
        return "no 'run' column"
    want = np.arange(expect.first_run, expect.first_run + expect.rows, dtype=np.int64)
    if len(frame) != expect.rows or not np.array_equal(frame["run"].to_numpy(), want):
        return (
            f"holds {len(frame)} rows, expected runs {expect.first_run}.."
            f"{expect.first_run + expect.rows - 1}"
        )
    return None
