"""What each member would miss without a plan: the engine's shortfall in every sampled
future control, by member, node (product and stage) and quarter.

The second stage of the plan fills these gaps. Reading them from the rule-based engine keeps
the plan on the model's own chain (stocks, rerouting through third countries, origins), at
the cost of an approximation the verification step checks: a gap filled at one stage is
taken not to change the gaps downstream (a stockpile of metal that keeps a magnet maker
running would also close that maker's magnet gap; the plan pays for both, so it errs toward
buying too much).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from oreshock.model.network import Network
from oreshock.model.prices import REGIONS
from oreshock.model.scenario import Scenario
from oreshock.model.simulate import simulate

PERIOD_MONTHS = 3  # the plan's periods are quarters


@dataclass(frozen=True)
class Gaps:
    """short [W, M, N, P] and demand [M, N, P] in tonnes per quarter; price [N] in USD/t
    outside China (base year); node k is (minerals[k], stages[k])."""

    members: tuple[str, ...]
    minerals: tuple[str, ...]
    stages: tuple[str, ...]
    short: np.ndarray
    demand: np.ndarray
    price: np.ndarray
    unpriced: tuple[str, ...]  # nodes with demand but no base price: left out of the plan

    @property
    def nodes(self) -> list[str]:
        return [f"{m}:{s}" for m, s in zip(self.minerals, self.stages, strict=True)]


def _quarters(monthly: np.ndarray) -> np.ndarray:
    """[T, ...] -> [P, ...] sums over whole quarters (a last part-quarter is kept)."""
    T = monthly.shape[0]
    P = -(-T // PERIOD_MONTHS)
    padded = np.zeros((P * PERIOD_MONTHS, *monthly.shape[1:]))
    padded[:T] = monthly
    return padded.reshape(P, PERIOD_MONTHS, *monthly.shape[1:]).sum(axis=1)


def scenario_gaps(network: Network, scenarios: list[Scenario], members: list[str]) -> Gaps:
    """Run every sampled scenario and collect the members' shortfall at each priced node."""
    runs = [simulate(network, s, record_flows=False, warn=False).runs for s in scenarios]
    nodes: list[tuple[str, str]] = []
    unpriced: list[str] = []
    short_parts, demand_parts, prices = [], [], []
    outside = REGIONS.index("ROW")
    for mineral, first in runs[0].items():
        chain = first.chain
        rows = [chain.countries.index(c) for c in members if c in chain.countries]
        for s, stage in enumerate(chain.stages):
            demand = first.series["demand"][:, 0, :, s]
            if not rows or demand[:, rows].sum() <= 0:
                continue
            base = np.nan if chain.base_price is None else chain.base_price[outside, s]
            if np.isnan(base):
                unpriced.append(f"{mineral}:{stage}")
                continue
            nodes.append((mineral, stage))
            prices.append(1000.0 * float(base))
            column = np.zeros((len(members), demand.shape[0]))
            for m, c in enumerate(members):
                if c in chain.countries:
                    column[m] = demand[:, chain.countries.index(c)]
            demand_parts.append(_quarters(column.T).T)
            short = np.zeros((len(runs), len(members), demand.shape[0]))
            for w, run in enumerate(runs):
                monthly = run[mineral].series["shortfall"][:, 0, :, s]
                for m, c in enumerate(members):
                    if c in chain.countries:
                        short[w, m] = monthly[:, chain.countries.index(c)]
            short_parts.append(_quarters(short.transpose(2, 0, 1)).transpose(1, 2, 0))
    return Gaps(
        members=tuple(members),
        minerals=tuple(m for m, _ in nodes),
        stages=tuple(s for _, s in nodes),
        short=np.stack(short_parts, axis=2) if nodes else np.zeros((len(runs), len(members), 0, 0)),
        demand=np.stack(demand_parts, axis=1) if nodes else np.zeros((len(members), 0, 0)),
        price=np.array(prices),
        unpriced=tuple(unpriced),
    )
