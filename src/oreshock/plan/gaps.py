"""What each member would miss without a plan: the engine's shortfall in every sampled
future control, by member, node (product and stage) and quarter (with a plan's stockpiles in
place, the need they met is counted too: ``unmet``).

The second stage of the plan fills these gaps. Reading them from the rule-based engine keeps
the plan on the model's own chain (stocks, rerouting through third countries, origins), at
the cost of an approximation the verification step checks: a gap filled at one stage is
taken not to change the gaps downstream (a stockpile of metal that keeps a magnet maker
running would also close that maker's magnet gap; the plan pays for both, so it errs toward
buying too much).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from oreshock.model.network import Network
from oreshock.model.prices import REGIONS
from oreshock.model.record import ChainRun
from oreshock.model.scenario import Scenario
from oreshock.model.simulate import simulate

PERIOD_MONTHS = 3  # the plan's periods are quarters


@dataclass(frozen=True)
class Gaps:
    """short [W, M, N, P] (need unmet by the market and commercial stocks) and demand
    [M, N, P] in tonnes per quarter; price [N] in USD/t outside China (base year); node k is
    (minerals[k], stages[k])."""

    members: tuple[str, ...]
    minerals: tuple[str, ...]
    stages: tuple[str, ...]
    short: np.ndarray
    demand: np.ndarray
    price: np.ndarray
    unpriced: tuple[str, ...]  # nodes with demand but no base price: left out of the plan
    shortfall: np.ndarray  # [W, M, N, P] the part of ``short`` no stockpile met
    output: np.ndarray  # [N] world output at the node in the base year, t/yr

    def on(self, nodes: list[str]) -> Gaps:
        """The same gaps at the nodes named (each of which these gaps hold)."""
        keep = [self.nodes.index(n) for n in nodes]
        return replace(self, minerals=tuple(self.minerals[k] for k in keep),
                       stages=tuple(self.stages[k] for k in keep), short=self.short[:, :, keep],
                       demand=self.demand[:, keep], price=self.price[keep],
                       shortfall=self.shortfall[:, :, keep],
                       output=self.output[keep])  # fmt: skip

    def over_cap(self, cap: float, demand: np.ndarray) -> np.ndarray:
        """[W, M] whether a member's cumulative shortfall at some node exceeds ``cap`` x its
        ``demand`` [M, N, P] there (with room for rounding)."""
        share = self.cumulative_share(demand)
        return np.asarray((share > cap + 1e-9).any(axis=2))

    def cumulative_share(self, demand: np.ndarray) -> np.ndarray:
        """[W, M, N] cumulative shortfall over the horizon as a share of ``demand``."""
        total = demand.sum(axis=2)[None]
        return np.divide(self.shortfall.sum(axis=3), total,
                         out=np.zeros(self.shortfall.shape[:3]), where=total > 0)  # fmt: skip

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


def unmet(run: ChainRun, s: int) -> np.ndarray:
    """[T, C] what the market and commercial stocks left unmet at stage s: the shortfall
    plus what stockpiles (national, and joint parts moved between members) covered. Without
    stockpiles it is the shortfall; with a plan's, it is the need the plan met or missed."""
    series = run.series
    held = series["stockpile"][:, 0, :, s]
    opening = run.inputs.pile0[0, :, s] + run.inputs.joint0[0, :, s]
    before = np.concatenate([opening[None], held[:-1]], axis=0)
    drawn = before - held + series["stockpile_transfer"][:, 0, :, s]
    return series["shortfall"][:, 0, :, s] + np.maximum(drawn, 0.0)


def _members_quarterly(
    monthly: np.ndarray, countries: Sequence[str], members: Sequence[str]
) -> np.ndarray:
    """[T, C] -> [M, P]: the members' rows (zero for one the chain does not hold), by quarter."""
    rows = np.zeros((len(members), monthly.shape[0]))
    for m, c in enumerate(members):
        if c in countries:
            rows[m] = monthly[:, countries.index(c)]
    return _quarters(rows.T).T


Runs = list[dict[str, ChainRun]]


def simulate_all(network: Network, scenarios: list[Scenario]) -> Runs:
    return [simulate(network, s, record_flows=False, warn=False).runs for s in scenarios]


def made_at(runs: Runs, country: str, node: str) -> np.ndarray:
    """[W, P] what a country produced at a node in each run, by quarter (zero where the
    chain does not hold the country)."""
    mineral, stage = node.split(":")
    out = []
    for run in runs:
        chain = run[mineral].chain
        monthly = run[mineral].series["production"][:, 0, :, chain.stages.index(stage)]
        out.append(_members_quarterly(monthly, list(chain.countries), [country])[0])
    return np.array(out)


def scenario_gaps(network: Network, scenarios: list[Scenario], members: list[str]) -> Gaps:
    """Run every sampled scenario and collect the members' unmet need and shortfall."""
    return gaps_of(simulate_all(network, scenarios), members)


def gaps_of(runs: Runs, members: list[str]) -> Gaps:
    """The members' unmet need and shortfall at each priced node of the runs (demand from
    the first run)."""
    nodes: list[tuple[str, str]] = []
    unpriced: list[str] = []
    need, short, demand, prices, output = [], [], [], [], []
    outside = REGIONS.index("ROW")
    for mineral, first in runs[0].items():
        chain = first.chain
        for s, stage in enumerate(chain.stages):
            wanted = _members_quarterly(
                first.series["demand"][:, 0, :, s], chain.countries, members
            )
            if wanted.sum() <= 0:
                continue
            base = np.nan if chain.base_price is None else chain.base_price[outside, s]
            if np.isnan(base):
                unpriced.append(f"{mineral}:{stage}")
                continue
            nodes.append((mineral, stage))
            prices.append(1000.0 * float(base))
            output.append(float(chain.production[:, s].sum()))
            demand.append(wanted)
            need.append([_members_quarterly(unmet(r[mineral], s), list(chain.countries), members)
                         for r in runs])  # fmt: skip
            short.append([_members_quarterly(r[mineral].series["shortfall"][:, 0, :, s],
                                             list(chain.countries), members) for r in runs])  # fmt: skip
    empty = np.zeros((len(runs), len(members), 0, 0))
    return Gaps(
        members=tuple(members),
        minerals=tuple(m for m, _ in nodes),
        stages=tuple(s for _, s in nodes),
        short=np.stack(need, axis=2) if nodes else empty,
        demand=np.stack(demand, axis=1) if nodes else np.zeros((len(members), 0, 0)),
        price=np.array(prices),
        unpriced=tuple(unpriced),
        shortfall=np.stack(short, axis=2) if nodes else empty,
        output=np.array(output),
    )
