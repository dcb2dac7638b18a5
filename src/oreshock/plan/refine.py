"""The plan answered by the engine, and the program solved again on what it answered.

The first gaps come from runs without a plan, where scarcity prices ration final use: with
the plan's stockpiles released, prices rise less, final use falls less, and the need the
stockpiles must meet is larger than the gaps said. Each round runs the engine with the
plan in place on the same drawn controls, keeps at each member, node and quarter the larger
of the two needs (so the gaps only grow and the rounds cannot cycle), and solves again,
until the plan keeps every member under the cap in the engine on those controls or
``ROUNDS`` rounds have been made. The fresh controls of ``--verify`` then test the result
out of sample.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from oreshock.model.network import Network
from oreshock.model.scenario import Scenario
from oreshock.plan.gaps import Gaps, scenario_gaps
from oreshock.plan.model import Costs
from oreshock.plan.solve import Solved, solve
from oreshock.plan.verify import stockpile_entries, with_stockpiles

ROUNDS = 3


@dataclass(frozen=True)
class Refined:
    gaps: Gaps
    solved: Solved
    rounds: int  # solves after the first
    in_sample_exceed: dict[str, float]  # member -> share of the drawn controls above the cap


def with_plan(
    network: Network, group: str, gaps: Gaps, solved: Solved, drawn: list[Scenario]
) -> Gaps:
    """The members' needs and shortfalls in the engine with the plan's stockpiles held."""
    entries = stockpile_entries(network, group, gaps, solved.stock)
    runs = [with_stockpiles(s, entries) for s in drawn]
    return scenario_gaps(network, runs, list(gaps.members)).on(gaps.nodes)


def refine(
    network: Network,
    group: str,
    gaps: Gaps,
    drawn: list[Scenario],
    cap: float,
    risk: str,
    costs: Costs,
) -> Refined:
    """Solve, check in the engine on the drawn controls, widen the gaps, solve again."""
    solved = solve(gaps, cap, risk, costs)
    rounds = 0
    while True:
        answered = with_plan(network, group, gaps, solved, drawn)
        over = answered.over_cap(cap, gaps.demand)
        kept = over.mean(axis=0) == 0 if risk == "worst" else _mean_within(answered, gaps, cap)
        if np.all(kept) or rounds == ROUNDS:
            break
        gaps = replace(gaps, short=np.maximum(gaps.short, answered.short))
        solved = solve(gaps, cap, risk, costs)
        rounds += 1
    exceed = {m: float(p) for m, p in zip(gaps.members, over.mean(axis=0), strict=True)}
    return Refined(gaps, solved, rounds, exceed)


def _mean_within(answered: Gaps, gaps: Gaps, cap: float) -> np.ndarray:
    """[M] whether each member's mean cumulative shortfall stays within the cap at every node
    (what ``expected`` promises)."""
    mean = answered.cumulative_share(gaps.demand).mean(axis=0)
    return np.asarray((mean <= cap + 1e-9).all(axis=1))
