"""Turn a scenario into arrays for one chain: the inputs the simulation steps through.

Every array carries a leading batch axis ``B`` so one call can evaluate many parameter sets
(an ensemble) as one vectorised computation; a single run has B = 1. Time-varying switches
(bans, controls, delays, sharing) are kept as windows [t0, t1) with a static array each, and
combined month by month, which keeps memory flat in the horizon.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from oreshock.core.errors import ScenarioError
from oreshock.model.network import Chain, Network
from oreshock.model.scenario import ALL, Scenario


@dataclass
class Window:
    """An array active for months t0 <= t < t1."""

    t0: int
    t1: int
    value: np.ndarray

    def active(self, t: int) -> bool:
        return self.t0 <= t < self.t1


@dataclass
class ChainInputs:
    """Everything the simulation needs for one chain and one batch of parameter sets."""

    chain: Chain
    months: int
    batch: int
    origin_of: np.ndarray  # (C,) origin bucket of each country
    origin_labels: tuple[str, ...]
    availability: np.ndarray  # (T, B, C, S) capacity multiplier
    new_capacity: np.ndarray  # (T, B, C, S) tonnes per month from new projects
    recycling: np.ndarray  # (T, B, C, S) tonnes per month of secondary supply
    demand_factor: np.ndarray  # (T, B, C, S) final-use multiplier (surges)
    stock0: np.ndarray  # (B, C, S) commercial stock, tonnes
    pile0: np.ndarray  # (B, C, S) stockpile, tonnes
    pile_trigger: np.ndarray  # (B, C, S)
    pile_rate: np.ndarray  # (B, C, S)
    pile_floor: np.ndarray  # (B, C, S)
    export_cut: list[Window] = field(default_factory=list)  # (B, S, C, C) share blocked
    origin_cut: list[Window] = field(default_factory=list)  # (B, S, C_imp, O) share blocked
    delays: list[Window] = field(default_factory=list)  # (S, C, C) int months
    sharing: list[Window] = field(default_factory=list)  # (B, C) reserved share per member
    reroute_delay: np.ndarray | None = None  # (B,)
    reroute_growth: np.ndarray | None = None  # (B,)
    substitution: list[tuple[np.ndarray, np.ndarray, int, int]] = field(default_factory=list)
    persistence: np.ndarray = field(default_factory=lambda: np.array([0.8]))
    sensitivity: np.ndarray = field(default_factory=lambda: np.array([3.0]))
    elasticity: np.ndarray = field(default_factory=lambda: np.array([0.05]))
    threshold: float = 0.01

    @property
    def max_delay(self) -> int:
        return max((int(w.value.max()) for w in self.delays), default=0)


def _window(scenario: Scenario, start: str, end: str | None) -> tuple[int, int]:
    t0 = max(scenario.month_index(start), 0)
    t1 = scenario.months if end is None else min(scenario.month_index(end), scenario.months)
    return t0, max(t1, t0)


def _pick(chain: Chain, targets, axis: str, network: Network, where: str) -> np.ndarray:
    """Boolean mask over countries or stages of a chain from a list of ids or groups."""
    if axis == "stage":
        if targets == ALL:
            return np.ones(len(chain.stages), bool)
        mask = np.zeros(len(chain.stages), bool)
        for s in targets:
            if s in chain.stages:
                mask[chain.stages.index(s)] = True
            elif s == "refining" and len(chain.stages) > 1:
                mask[1] = True
        return mask
    if targets == ALL:
        return np.ones(len(chain.countries), bool)
    names = [targets] if isinstance(targets, str) else targets
    members: set[str] = set()
    for name in names:
        try:
            members |= set(network.members(name))
        except KeyError as exc:
            raise ScenarioError(f"{where}: {exc}") from None
    return np.array([c in members for c in chain.countries])


def _applies(mineral: str, targets) -> bool:
    return targets == ALL or mineral in targets


def origin_buckets(chain: Chain, tracked: list[str] | None) -> tuple[np.ndarray, tuple[str, ...]]:
    """Map countries to origin buckets: each tracked country its own, the rest in ``other``."""
    if tracked is None:
        return np.arange(len(chain.countries)), chain.countries
    labels = [c for c in tracked if c in chain.countries]
    index = {c: i for i, c in enumerate(labels)}
    other = len(labels)
    return (
        np.array([index.get(c, other) for c in chain.countries]),
        (*labels, "other"),
    )


def compile_chain(
    chain: Chain,
    scenario: Scenario,
    network: Network,
    *,
    batch: int = 1,
    tracked_origins: list[str] | None = None,
) -> ChainInputs:
    """Arrays of one chain under one scenario (the same for each of ``batch`` members)."""
    T, B = scenario.months, batch
    C, S = chain.production.shape
    m = chain.mineral
    origin_of, labels = origin_buckets(chain, tracked_origins)
    O = len(labels)
    ones = np.ones((T, B, C, S))
    inputs = ChainInputs(
        chain=chain,
        months=T,
        batch=B,
        origin_of=origin_of,
        origin_labels=labels,
        availability=ones.copy(),
        new_capacity=np.zeros((T, B, C, S)),
        recycling=np.zeros((T, B, C, S)),
        demand_factor=ones,
        stock0=np.broadcast_to(chain.stocks, (B, C, S)).copy(),
        pile0=np.zeros((B, C, S)),
        pile_trigger=np.full((B, C, S), 1.0),
        pile_rate=np.zeros((B, C, S)),
        pile_floor=np.zeros((B, C, S)),
        persistence=np.full(B, scenario.market.persistence),
        sensitivity=np.full(B, scenario.market.sensitivity),
        elasticity=np.full(B, scenario.market.demand_elasticity),
        threshold=scenario.shortfall_threshold,
    )
    monthly = chain.consumption / 12.0
    buffers = scenario.buffers
    if not buffers.commercial_stocks:
        inputs.stock0[:] = 0.0
    for iso3, months in buffers.commercial_months.items():
        who = _pick(chain, [iso3], "country", network, "buffers.commercial_months")
        inputs.stock0[:, who, :] = months * monthly[who, :]
    for k, pile in enumerate(buffers.stockpiles):
        if not _applies(m, pile.minerals):
            continue
        where = f"buffers.stockpiles[{k}]"
        who = _pick(chain, [pile.holder], "country", network, where)
        stages = _pick(chain, pile.stages, "stage", network, where)
        sel = np.outer(who, stages)
        level = (
            chain.stockpiles if pile.months_of_demand is None else pile.months_of_demand * monthly
        )
        inputs.pile0[:, sel] = level[sel]
        inputs.pile_trigger[:, sel] = pile.trigger
        inputs.pile_rate[:, sel] = pile.rate
        inputs.pile_floor[:, sel] = pile.floor
    for k, shock in enumerate(scenario.shocks):
        if not _applies(m, shock.minerals):
            continue
        where = f"shocks[{k}]"
        t0, t1 = _window(scenario, shock.start, shock.end)
        stages = _pick(chain, shock.stages, "stage", network, where)
        if shock.type in ("export_ban", "export_quota", "licence_delay"):
            exporter = _pick(chain, [shock.exporter], "country", network, where)
            dest = _pick(chain, shock.destinations, "country", network, where)
            dest = dest & ~exporter
            cells = stages[:, None, None] & exporter[None, :, None] & dest[None, None, :]
            if shock.type == "licence_delay":
                inputs.delays.append(Window(t0, t1, np.where(cells, shock.months, 0)))
            else:
                cut = shock.share if shock.type == "export_ban" else 1.0 - shock.allowed
                inputs.export_cut.append(Window(t0, t1, np.broadcast_to(cells * cut, (B, S, C, C))))
        elif shock.type == "reexport_control":
            dest = _pick(chain, shock.destinations, "country", network, where)
            origin = _pick(chain, [shock.origin], "country", network, where)
            buckets = np.zeros(O, bool)
            buckets[np.unique(origin_of[origin])] = True
            if tracked_origins is not None and labels[-1] == "other":
                buckets[-1] = False
            cells = stages[:, None, None] & dest[None, :, None] & buckets[None, None, :]
            inputs.origin_cut.append(
                Window(t0, t1, np.broadcast_to(cells * shock.share, (B, S, C, O)))
            )
        elif shock.type == "outage":
            who = _pick(chain, [shock.country], "country", network, where)
            sel = np.outer(who, stages)
            inputs.availability[t0:t1, :, sel] *= 1.0 - shock.share
        elif shock.type == "demand_surge":
            who = _pick(chain, shock.countries, "country", network, where)
            sel = np.outer(who, stages)
            inputs.demand_factor[t0:t1, :, sel] *= shock.factor
    responses = scenario.responses
    for k, share in enumerate(responses.sharing):
        if not _applies(m, share.minerals):
            continue
        members = _pick(chain, [share.group], "country", network, f"responses.sharing[{k}]")
        t0, t1 = _window(scenario, share.start, None)
        inputs.sharing.append(Window(t0, t1, np.broadcast_to(members * share.share, (B, C)).copy()))
    if responses.rerouting is not None:
        inputs.reroute_delay = np.full(B, float(responses.rerouting.delay_months))
        inputs.reroute_growth = np.full(B, responses.rerouting.growth)
    for k, rec in enumerate(responses.recycling):
        if rec.mineral != m:
            continue
        where = f"responses.recycling[{k}]"
        who = _pick(chain, rec.countries, "country", network, where)
        s = chain.stage_index(rec.stage)
        t0, _ = _window(scenario, rec.start, None)
        ramp = _ramp(T, t0, rec.ramp_months)
        inputs.recycling[:, :, who, s] += (ramp * rec.rate)[:, None, None] * monthly[who, s][
            None, None, :
        ]
    for k, project in enumerate(responses.new_capacity):
        if project.mineral != m:
            continue
        where = f"responses.new_capacity[{k}] ({project.name})"
        who = _pick(chain, [project.country], "country", network, where)
        if not who.any():
            raise ScenarioError(f"{where}: {project.country} is not a node of the {m} chain")
        s = chain.stage_index(project.stage)
        t0, _ = _window(scenario, project.start, None)
        ramp = _ramp(T, t0 + project.lead_months, project.ramp_months)
        inputs.new_capacity[:, :, who, s] += (ramp * project.capacity / 12.0)[:, None, None]
    for sub in responses.substitution:
        if not _applies(m, sub.minerals):
            continue
        who = _pick(chain, sub.countries, "country", network, "responses.substitution")
        stages = _pick(chain, sub.stages, "stage", network, "responses.substitution")
        inputs.substitution.append(
            (np.outer(who, stages), np.full(B, sub.share), sub.lag_months, sub.ramp_months)
        )
    return inputs


def _ramp(months: int, start: int, ramp: int) -> np.ndarray:
    """0 before ``start``, rising linearly to 1 over ``ramp`` months."""
    t = np.arange(months, dtype=float)
    if ramp <= 0:
        return (t >= start).astype(float)
    return np.clip((t - start + 1) / ramp, 0.0, 1.0)
