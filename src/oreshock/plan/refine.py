"""The plan answered by the engine, and the program solved again on what it answered.

The first gaps come from runs without a plan, where scarcity prices ration final use: with
the plan's stockpiles released, prices rise less, final use falls less, and the need the
stockpiles must meet is larger than the gaps said; and a plant makes only what its feed
allows (a magnet plant outside China without metal from outside China makes nothing while
the control lasts), which the program cannot see. Each round runs the engine with the
plan in place on the same drawn controls, keeps at each member, node and quarter the larger
of the two needs (so the gaps only grow and the rounds cannot cycle), takes each built
plant's usable share of its capacity from what its country made beyond the run without a
plan (never raising it again), and solves again,
until the plan keeps every member under the cap in the engine on those controls or
``ROUNDS`` rounds have been made. The fresh controls of ``--verify`` then test the result
out of sample.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from oreshock.model.network import Network
from oreshock.model.scenario import Scenario
from oreshock.plan.gaps import Gaps, Runs, gaps_of, made_at, simulate_all
from oreshock.plan.model import Costs, Plants, Risk
from oreshock.plan.solve import Solved, solve
from oreshock.plan.verify import plant_entries, stockpile_entries, with_stockpiles

ROUNDS = 3


@dataclass(frozen=True)
class Refined:
    gaps: Gaps
    solved: Solved
    plants: Plants
    rounds: int  # solves after the first
    in_sample_exceed: dict[str, float]  # member -> share of the drawn controls above the cap


@dataclass(frozen=True)
class Drawn:
    """The drawn controls as scenarios, and what the candidate plants' countries produced
    at their nodes without a plan ([W, P] per (country, node))."""

    scenarios: list[Scenario]
    base_made: dict[tuple[str, str], np.ndarray]
    starts: list[int]  # months from the scenario's start to each control


def with_plan(
    network: Network, group: str, gaps: Gaps, solved: Solved, drawn: Drawn, plants: Plants
) -> tuple[Gaps, Plants]:
    """The members' needs and shortfalls in the engine with the plan in place, and the share
    of each built plant's online capacity it could use (its country's extra output at its
    nodes, shared among the plants there in proportion to their online capacity)."""
    stocks = stockpile_entries(network, group, gaps, solved.stock)
    built = plant_entries(plants.projects, solved, drawn.scenarios[0].start, network)
    runs = simulate_all(network, [with_stockpiles(s, stocks, built) for s in drawn.scenarios])
    answered = gaps_of(runs, list(gaps.members)).on(gaps.nodes)
    return answered, _usable(plants, solved, runs, drawn, gaps.short.shape[3])


def _usable(plants: Plants, solved: Solved, runs: Runs, drawn: Drawn, periods: int) -> Plants:
    """Plants' usable shares measured in the engine runs, never raised above the last ones
    (so the rounds cannot cycle)."""
    usable = plants.usable.copy()
    online = {p.project_id: solved.build.get(p.project_id, 0.0) * p.quarterly(periods)
              for p in plants.projects}  # fmt: skip
    sites = {(p.country, n) for p in plants.projects for n in p.nodes}
    for country, node in sites:
        extra = made_at(runs, country, node) - drawn.base_made[(country, node)]  # [W, P]
        here = [
            j for j, p in enumerate(plants.projects) if p.country == country and node in p.nodes
        ]
        capacity = np.sum([online[plants.projects[j].project_id] for j in here], axis=0)  # [P]
        measured = np.clip(extra / np.where(capacity > 1e-9, capacity, np.inf), 0.0, 1.0)
        for j in here:
            usable[j] = np.where(capacity[None] > 1e-9, np.minimum(usable[j], measured), usable[j])
    return replace(plants, usable=usable)


def refine(
    network: Network,
    group: str,
    gaps: Gaps,
    drawn: Drawn,
    cap: float,
    risk: Risk,
    costs: Costs,
    plants: Plants,
) -> Refined:
    """Solve, check in the engine on the drawn controls, widen the gaps and narrow the
    plants' usable capacity, solve again."""
    solved = solve(gaps, cap, risk, costs, plants)
    rounds = 0
    while True:
        answered, plants = with_plan(network, group, gaps, solved, drawn, plants)
        over = answered.over_cap(cap, gaps.demand)
        kept = _kept(answered, gaps, cap, risk)
        if np.all(kept) or rounds == ROUNDS:
            break
        gaps = replace(gaps, short=np.maximum(gaps.short, answered.short))
        solved = solve(gaps, cap, risk, costs, plants)
        rounds += 1
    exceed = {m: float(p) for m, p in zip(gaps.members, over.mean(axis=0), strict=True)}
    return Refined(gaps, solved, plants, rounds, exceed)


def _kept(answered: Gaps, gaps: Gaps, cap: float, risk: Risk) -> np.ndarray:
    """[M] whether the engine's shortfalls keep each member's promise at every node: under
    the cap in every control (``worst``), on average (``expected``), or on the mean of the
    worst (1 - alpha) share of the controls (``cvar``)."""
    share = answered.cumulative_share(gaps.demand)  # [W, M, N]
    if risk.kind == "worst":
        level = share.max(axis=0)
    elif risk.kind == "expected":
        level = share.mean(axis=0)
    else:
        level = tail_mean(share, risk.alpha)
    return np.asarray((level <= cap + 1e-9).all(axis=1))


def tail_mean(share: np.ndarray, alpha: float) -> np.ndarray:
    """[M, N] mean of the worst ceil((1 - alpha) W) scenarios of ``share`` [W, M, N]."""
    worst = max(int(np.ceil((1.0 - alpha) * share.shape[0] - 1e-9)), 1)
    return np.sort(share, axis=0)[-worst:].mean(axis=0)
