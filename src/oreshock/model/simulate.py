"""Run the monthly engine over a scenario: the entry points that ensembles and users call.

``simulate(network, scenario)`` runs every chain the scenario covers and returns a
``RunResult``. ``run_chain`` does one chain for a batch of parameter sets at once (leading
axis B), which is what ensembles call; a single run is a batch of one, so both go through the
same code. What one month does, and in which order, is in ``step.py``; the rules themselves
in ``rules.py``; what is recorded in ``record.py``.
"""

from __future__ import annotations

from oreshock.model.allocation import Allocator, allocate_by_gap
from oreshock.model.compile import ChainInputs, compile_chain
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
) -> RunResult:
    """Run the scenario over every chain it covers (one parameter set).

    ``allocate`` is the rule that shares scarce supply among importers (see ``allocation.py``).
    """
    runs = {}
    for mineral in scenario.chains_covered(network.chains):
        chain = network.chain(mineral)
        inputs = compile_chain(chain, scenario, network, tracked_origins=tracked_origins)
        runs[mineral] = run_chain(inputs, record_flows=record_flows, allocate=allocate)
    return RunResult(scenario, network, runs, seed=seed)
