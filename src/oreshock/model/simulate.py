"""Run the monthly engine over a scenario: the entry points that ensembles and users call.

``simulate(network, scenario)`` runs every chain the scenario covers and returns a
``RunResult``. ``run_chain`` does one chain for a batch of parameter sets at once (leading
axis B), which is what ensembles call; a single run is a batch of one, so both go through the
same code. What one month does, and in which order, is in ``step.py``; the rules themselves
in ``rules.py``; what is recorded in ``record.py``.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable

from oreshock.core.errors import OreshockError
from oreshock.model.allocation import Allocator, allocate_by_gap
from oreshock.model.checks import check_scenario
from oreshock.model.compile import ChainInputs, compile_chain
from oreshock.model.coverage import CoverageWarning, Names, check_coverage
from oreshock.model.linking import stacks_of, step_stacks
from oreshock.model.network import Network
from oreshock.model.record import VARIABLES, ChainRun
from oreshock.model.results import RunResult
from oreshock.model.scenario import Scenario

__all__ = ["VARIABLES", "ChainRun", "RunResult", "run_chain", "run_chains", "simulate"]


def run_chain(
    inputs: ChainInputs, *, record_flows: bool = False, allocate: Allocator = allocate_by_gap
) -> ChainRun:
    """Step one chain through the horizon for every member of the batch."""
    mineral = inputs.chain.mineral
    return run_chains({mineral: inputs}, record_flows=record_flows, allocate=allocate)[mineral]


def run_chains(
    inputs: dict[str, ChainInputs],
    *,
    record_flows: bool = False,
    allocate: Allocator = allocate_by_gap,
) -> dict[str, ChainRun]:
    """Step several chains through the horizon, month by month together: chains of one
    shape as one batch (``stacking.py``), chains joined by recipes inputs first
    (``linking.py``)."""
    if not inputs:
        return {}
    stacks = stacks_of(inputs, record_flows)
    for t in range(next(iter(inputs.values())).months):
        step_stacks(stacks, t, allocate)
    runs = {m: run for st in stacks for m, run in st.split().items()}
    return {m: runs[m] for m in inputs}


def simulate(
    network: Network,
    scenario: Scenario,
    *,
    seed: int = 0,
    record_flows: bool = True,
    tracked_origins: list[str] | None = None,
    allocate: Allocator = allocate_by_gap,
    strict: bool = False,
    countries: Iterable[str] = (),
    names: Names | None = None,
    warn: bool = True,
) -> RunResult:
    """Run the scenario over every chain it covers (one parameter set).

    ``allocate`` is the rule that shares scarce supply among importers (see ``allocation.py``).

    Before running, the data's coverage of each shock and of ``countries`` (the ones the
    caller asks about) is worked out (``coverage.py``) and kept in ``RunResult.coverage``, its
    messages with ``names`` (the bundled dataset's by default). A shock that touches no flow
    warns with ``CoverageWarning`` (unless ``warn`` is false, for callers that show the
    coverage themselves) and, when ``strict``, raises ``CoverageError`` before anything runs.
    """
    check_scenario(scenario, network, warn=warn)  # a mistyped id is an error, not a gap in data
    coverage = check_coverage(network, scenario, countries=countries, names=names)
    if strict and coverage.warnings:
        raise coverage.error()
    if warn:
        for note in coverage.warnings:
            warnings.warn(CoverageWarning(f"{note.source}: {note.message_en}"), stacklevel=2)
    inputs = {
        mineral: compile_chain(
            network.chain(mineral),
            scenario,
            network,
            tracked_origins=tracked_origins,
            checked=True,
        )
        for mineral in network.covered(scenario)
    }
    runs = run_chains(inputs, record_flows=record_flows, allocate=allocate)
    return RunResult(scenario, network, runs, seed=seed, coverage=coverage)


def reproduce(record: dict, network: Network) -> RunResult:
    """A stored run simulated again from its record (scenario and seed) on ``network``, which
    must be built from the dataset the run used: another is an error naming both."""
    if network.dataset_hash != record["dataset_hash"]:
        raise OreshockError(
            f"run {record['run_id']} used dataset {record['dataset_name']} "
            f"{record['dataset_version']} (hash {record['dataset_hash'][:16]}); this dataset's "
            f"hash is {network.dataset_hash[:16]}: pass --data with the dataset it used"
        )
    scenario = Scenario.model_validate(record["scenario_json"])
    return simulate(network, scenario, seed=int(record["seed"]), warn=False)
