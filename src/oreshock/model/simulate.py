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

from oreshock.model.allocation import Allocator, allocate_by_gap
from oreshock.model.checks import check_scenario
from oreshock.model.compile import ChainInputs, compile_chain
from oreshock.model.coverage import CoverageWarning, Names, check_coverage
from oreshock.model.network import Network
from oreshock.model.record import VARIABLES, ChainRun
from oreshock.model.results import RunResult
from oreshock.model.scenario import Scenario
from oreshock.model.state import ChainConstants, ChainState
from oreshock.model.step import step

__all__ = ["VARIABLES", "ChainRun", "RunResult", "run_chain", "simulate"]


def run_chain(
    inputs: ChainInputs, *, record_flows: bool = False, allocate: Allocator = allocate_by_gap
) -> ChainRun:
    """Step one chain through the horizon for every member of the batch."""
    consts = ChainConstants.of(inputs)
    state = ChainState.initial(inputs, consts)
    run = ChainRun.empty(inputs, record_flows=record_flows)
    for t in range(inputs.months):
        step(state, inputs, consts, t, run, allocate)
    return run


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
    runs = {}
    for mineral in scenario.chains_covered(network.chains):
        chain = network.chain(mineral)
        inputs = compile_chain(chain, scenario, network, tracked_origins=tracked_origins)
        runs[mineral] = run_chain(inputs, record_flows=record_flows, allocate=allocate)
    return RunResult(scenario, network, runs, seed=seed, coverage=coverage)
