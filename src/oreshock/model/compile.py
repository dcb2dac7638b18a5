"""Turn a scenario into arrays for one chain: the inputs the simulation steps through.

Every array carries a leading batch axis ``B`` so one call can evaluate many parameter sets
(an ensemble) as one vectorised computation; a single run has B = 1. Time-varying switches
(bans, controls, delays, sharing) are kept as windows [t0, t1) with a static array each, and
combined month by month, which keeps memory flat in the horizon.

Each shock type has one compiler, registered with ``@compiles(type)`` in ``SHOCK_COMPILERS``;
buffers and responses have one function each. A new shock is a scenario class plus one
compiler here (and, if it needs a new array, a field of ``ChainInputs`` and the rule that
reads it).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from oreshock.core.errors import ScenarioError
from oreshock.core.ids import ALL, stage_position
from oreshock.model.checks import check_scenario
from oreshock.model.network import Chain, Network, origin_composition, stock_level_tonnes
from oreshock.model.scenario import (
    DemandSurge,
    ExportBan,
    ExportQuota,
    LicenceDelay,
    Licensing,
    Outage,
    ReexportControl,
    Scenario,
    Stockpile,
)


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
    # Joint stockpiles: each member's part in tonnes, the pool it belongs to (-1: none; a
    # float so it stacks like the others) and the pool's release rule.
    joint0: np.ndarray  # (B, C, S)
    joint_pool: np.ndarray  # (B, C, S)
    joint_trigger: np.ndarray  # (B, C, S)
    joint_rate: np.ndarray  # (B, C, S)
    joint_floor: np.ndarray  # (B, C, S)
    export_cut: list[Window] = field(default_factory=list)  # (B, S, C, C) share blocked
    origin_cut: list[Window] = field(default_factory=list)  # (B, S, C_imp, O) share blocked
    delays: list[Window] = field(default_factory=list)  # (S, C, C) int months
    sharing: list[Window] = field(default_factory=list)  # (B, C) reserved share per member
    reroute_delay: np.ndarray | None = None  # (B,)
    reroute_growth: np.ndarray | None = None  # (B,)
    substitution: list[tuple[np.ndarray, np.ndarray, int, int]] = field(default_factory=list)
    # Market (``rules.price_index``), each (B,): monthly persistence of the price, short-run
    # price elasticities of final use and of supply, the elasticity of holding stock when
    # availability is above normal, the largest multiple of the base price, and the mean lags
    # (months) of spare capacity and of final use behind the price.
    persistence: np.ndarray = field(default_factory=lambda: np.array([0.5]))
    elasticity: np.ndarray = field(default_factory=lambda: np.array([0.28]))
    supply_elasticity: np.ndarray = field(default_factory=lambda: np.array([0.38]))
    storage_elasticity: np.ndarray = field(default_factory=lambda: np.array([1.0]))
    max_price: np.ndarray = field(default_factory=lambda: np.array([30.0]))
    supply_lag: np.ndarray = field(default_factory=lambda: np.array([12.0]))
    demand_lag: np.ndarray = field(default_factory=lambda: np.array([6.0]))
    threshold: float = 0.01
    # (C, C) [holder, origin] mix of a recipe stage's principal input in the base year, so the
    # first stage's opening stocks carry the origins its output will carry (None otherwise).
    feed_origin: np.ndarray | None = None
    # The trade policies met so far, by the windows active (``step.trade_policy``): built once
    # per change of policy, not every month. Not an input: each copy starts empty.
    policies: dict[tuple, Any] = field(default_factory=dict, init=False, repr=False, compare=False)

    @property
    def max_delay(self) -> int:
        return max((int(w.value.max()) for w in self.delays), default=0)


@dataclass(frozen=True)
class ChainContext:
    """What every compiler of one chain needs: the chain, the scenario, the network (for
    groups), the origin buckets, and the inputs it fills in."""

    chain: Chain
    scenario: Scenario
    network: Network
    inputs: ChainInputs
    tracked_origins: list[str] | None

    @property
    def shape(self) -> tuple[int, int, int]:
        """(B, C, S)."""
        C, S = self.chain.production.shape
        return self.inputs.batch, C, S

    def window(self, start: str, end: str | None) -> tuple[int, int]:
        """Months [t0, t1) of the horizon that a start and optional end cover."""
        t0 = max(self.scenario.month_index(start), 0)
        months = self.scenario.months
        t1 = months if end is None else min(self.scenario.month_index(end), months)
        return t0, max(t1, t0)

    def countries(self, targets: Any, where: str) -> np.ndarray:
        """(C,) mask of the countries named by ids or groups (every one for ``all``)."""
        if targets == ALL:
            return np.ones(len(self.chain.countries), bool)
        names = [targets] if isinstance(targets, str) else targets
        members: set[str] = set()
        for name in names:
            try:
                members |= set(self.network.members(name))
            except KeyError as exc:
                raise ScenarioError(f"{where}: {exc}") from None
        return np.array([c in members for c in self.chain.countries])

    def stages(self, targets: Any) -> np.ndarray:
        """(S,) mask of the stages named (every one for ``all``; aliases resolved)."""
        mask = self.chain.stage_mask(targets)
        if targets == ALL:
            return mask
        for stage in targets:
            if (
                stage_position(stage, self.chain.stages) is None
                and not any(  # checks.py names the field; this keeps a typo from being a no-op
                    stage_position(stage, chain.stages) is not None
                    for chain in self.network.chains.values()
                )
            ):
                raise ScenarioError(f"unknown stage {stage!r}: a stage of no chain")
        return mask


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


ShockCompiler = Callable[[ChainContext, Any, str], None]
SHOCK_COMPILERS: dict[str, ShockCompiler] = {}


def compiles(*types: str) -> Callable[[ShockCompiler], ShockCompiler]:
    """Register a function as the compiler of the shock types named."""

    def register(func: ShockCompiler) -> ShockCompiler:
        for kind in types:
            SHOCK_COMPILERS[kind] = func
        return func

    return register


def _route_cells(ctx: ChainContext, shock: Any, where: str) -> np.ndarray:
    """(S, Ce, Ci) the stages x exporter x destination routes a trade shock covers."""
    stages = ctx.stages(shock.stages)
    exporter = ctx.countries([shock.exporter], where)
    dest = ctx.countries(shock.destinations, where) & ~exporter
    return stages[:, None, None] & exporter[None, :, None] & dest[None, None, :]


@compiles("export_ban", "export_quota")
def _export_cut(ctx: ChainContext, shock: ExportBan | ExportQuota, where: str) -> None:
    """Share of base exports blocked on the covered routes: ``share`` of a ban, 1 - ``allowed``
    of a quota."""
    B, C, S = ctx.shape
    t0, t1 = ctx.window(shock.start, shock.end)
    cut = shock.share if isinstance(shock, ExportBan) else 1.0 - shock.allowed
    cells = _route_cells(ctx, shock, where)
    ctx.inputs.export_cut.append(Window(t0, t1, np.broadcast_to(cells * cut, (B, S, C, C))))


@compiles("licence_delay")
def _licence_delay(ctx: ChainContext, shock: LicenceDelay, where: str) -> None:
    """Shipments on the covered routes arrive ``months`` later."""
    t0, t1 = ctx.window(shock.start, shock.end)
    cells = _route_cells(ctx, shock, where)
    ctx.inputs.delays.append(Window(t0, t1, np.where(cells, shock.months, 0)))


def licensed_share(shock: Licensing, t0: int, t1: int, months: int) -> dict[int, float]:
    """Month -> exports on a licensed route as a share of what would ship without the control.

    Pending orders q (in months of base exports) evolve as q_t = (1 - a_t)(1 + q_t-1) and the
    month ships a_t (1 + q_t-1), with a_t = 0 during the review and the shock's approval
    shares after it; the month the regime ends ships 1 + q (every held order); the stock-
    building months before the start ship 1 + ``stock_building_share``."""
    shares: dict[int, float] = {}
    for t in range(max(t0 - shock.stock_building_months, 0), t0):
        shares[t] = 1.0 + shock.stock_building_share
    pending = 0.0
    for t in range(t0, t1):
        k = t - t0 - shock.review_months
        approved = 0.0 if k < 0 else shock.approval[min(k, len(shock.approval) - 1)]
        shares[t] = approved * (1.0 + pending)
        pending = (1.0 - approved) * (1.0 + pending)
    if shock.end is not None and t1 < months:
        shares[t1] = 1.0 + pending
    return shares


@compiles("licensing")
def _licensing(ctx: ChainContext, shock: Licensing, where: str) -> None:
    """One export window a month on the covered routes; a share above 1 (catch-up, stock
    building) ships from the exporter's stock (``rules.limit_to_holdings``)."""
    B, C, S = ctx.shape
    t0, t1 = ctx.window(shock.start, shock.end)
    cells = _route_cells(ctx, shock, where)
    for t, share in licensed_share(shock, t0, t1, ctx.scenario.months).items():
        cut = np.broadcast_to(cells * (1.0 - share), (B, S, C, C))
        ctx.inputs.export_cut.append(Window(t, t + 1, cut))


@compiles("reexport_control")
def _reexport_control(ctx: ChainContext, shock: ReexportControl, where: str) -> None:
    """Material of the controlled origin's bucket may not reach the destinations from anyone."""
    B, C, S = ctx.shape
    inputs = ctx.inputs
    O = len(inputs.origin_labels)
    t0, t1 = ctx.window(shock.start, shock.end)
    stages = ctx.stages(shock.stages)
    dest = ctx.countries(shock.destinations, where)
    origin = ctx.countries([shock.origin], where)
    buckets = np.zeros(O, bool)
    buckets[np.unique(inputs.origin_of[origin])] = True
    if ctx.tracked_origins is not None and inputs.origin_labels[-1] == "other":
        buckets[-1] = False
    cells = stages[:, None, None] & dest[None, :, None] & buckets[None, None, :]
    inputs.origin_cut.append(Window(t0, t1, np.broadcast_to(cells * shock.share, (B, S, C, O))))


@compiles("outage")
def _outage(ctx: ChainContext, shock: Outage, where: str) -> None:
    """Capacity of the country's covered stages falls by ``share`` during the window."""
    t0, t1 = ctx.window(shock.start, shock.end)
    sel = np.outer(ctx.countries([shock.country], where), ctx.stages(shock.stages))
    ctx.inputs.availability[t0:t1, :, sel] *= 1.0 - shock.share


@compiles("demand_surge")
def _demand_surge(ctx: ChainContext, shock: DemandSurge, where: str) -> None:
    """Final use of the countries' covered stages is multiplied by ``factor``."""
    t0, t1 = ctx.window(shock.start, shock.end)
    sel = np.outer(ctx.countries(shock.countries, where), ctx.stages(shock.stages))
    ctx.inputs.demand_factor[t0:t1, :, sel] *= shock.factor


def _empty_inputs(
    chain: Chain, scenario: Scenario, batch: int, tracked: list[str] | None
) -> ChainInputs:
    """Inputs of an undisturbed run: full availability, no shocks, dataset stocks."""
    T, B = scenario.months, batch
    C, S = chain.production.shape
    origin_of, labels = origin_buckets(chain, tracked)
    ones = np.ones((T, B, C, S))
    return ChainInputs(
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
        joint0=np.zeros((B, C, S)),
        joint_pool=np.full((B, C, S), -1.0),
        joint_trigger=np.full((B, C, S), 1.0),
        joint_rate=np.zeros((B, C, S)),
        joint_floor=np.zeros((B, C, S)),
        persistence=np.full(B, scenario.market.persistence),
        elasticity=np.full(B, scenario.market.demand_elasticity),
        supply_elasticity=np.full(B, scenario.market.supply_elasticity),
        storage_elasticity=np.full(B, scenario.market.storage_elasticity),
        max_price=np.full(B, scenario.market.max_price_multiple),
        supply_lag=np.full(B, scenario.market.supply_lag_months),
        demand_lag=np.full(B, scenario.market.demand_lag_months),
        threshold=scenario.shortfall_threshold,
    )


def _dataset_levels(ctx: ChainContext, holder: Literal["commercial", "national"]) -> np.ndarray:
    """(C, S) the dataset's stock levels of ``holder`` in tonnes, with the scenario's
    ``buffers.stock_levels`` (in each row's own unit) in place of the rows' central values."""
    chain = ctx.chain
    base = chain.stocks if holder == "commercial" else chain.stockpiles
    levels = base.copy()
    for iso3, by_mineral in ctx.scenario.buffers.stock_levels.get(holder, {}).items():
        written = (
            {s: chain.family for s in by_mineral.get(chain.family, {})} if chain.family else {}
        )
        written.update({s: chain.mineral for s in by_mineral.get(chain.mineral, {})})
        for stage, key in written.items():
            value = by_mineral[key][stage]
            if key == chain.family and stage not in chain.stages:
                continue  # a family's level for a stage this product does not have
            where = f"buffers.stock_levels.{holder}.{iso3}.{key}.{stage}"
            unit = chain.stock_units.get((holder, iso3, stage))
            if unit is None or iso3 not in chain.countries or stage not in chain.stages:
                raise ScenarioError(
                    f"{where}: expected a {holder} stock row of the dataset for {iso3}, "
                    f"{chain.mineral}, {stage}; found none"
                )
            c, s = chain.countries.index(iso3), chain.stages.index(stage)
            levels[c, s] = stock_level_tonnes(value, unit, chain.consumption[c, s] / 12.0)
    return levels


def _commercial_stocks(ctx: ChainContext) -> None:
    """Dataset stock levels (or the scenario's levels for dataset rows), none, or ``months``
    of demand for the countries named."""
    buffers, inputs = ctx.scenario.buffers, ctx.inputs
    monthly = ctx.chain.consumption / 12.0
    if not buffers.commercial_stocks:
        inputs.stock0[:] = 0.0
        return
    inputs.stock0[:] = _dataset_levels(ctx, "commercial")
    for iso3, months in buffers.commercial_months.items():
        who = ctx.countries([iso3], "buffers.commercial_months")
        inputs.stock0[:, who, :] = months * monthly[who, :]


def _stockpiles(ctx: ChainContext) -> None:
    """Stockpile level (dataset, or months of demand) and its release rule per holder."""
    inputs, monthly = ctx.inputs, ctx.chain.consumption / 12.0
    dataset = _dataset_levels(ctx, "national")
    pools = 0
    for k, pile in enumerate(ctx.scenario.buffers.stockpiles):
        if not ctx.chain.named_by(pile.minerals):
            continue
        who = ctx.countries([pile.holder], f"buffers.stockpiles[{k}]")
        sel = np.outer(who, ctx.stages(pile.stages))
        if pile.joint:
            _joint_pool(ctx, pile, sel, pools, f"buffers.stockpiles[{k}]")
            pools += 1
            continue
        level = dataset if pile.months_of_demand is None else pile.months_of_demand * monthly
        inputs.pile0[:, sel] = level[sel]
        inputs.pile_trigger[:, sel] = pile.trigger
        inputs.pile_rate[:, sel] = pile.rate
        inputs.pile_floor[:, sel] = pile.floor


def _joint_pool(ctx: ChainContext, pile: Stockpile, sel: np.ndarray, pool: int, where: str) -> None:
    """One joint stockpile: its parts (months of each member's demand) and its rule."""
    inputs = ctx.inputs
    taken = sel & (inputs.joint_pool[0] >= 0)
    if taken.any():
        c, s = np.argwhere(taken)[0]
        raise ScenarioError(
            f"{where}: {ctx.chain.countries[c]} already holds part of a joint stockpile of "
            f"{ctx.chain.stages[s]}; expected one joint stockpile per country and stage"
        )
    assert pile.months_of_demand is not None  # Stockpile checks a joint one is sized
    inputs.joint0[:, sel] = (pile.months_of_demand * ctx.chain.consumption / 12.0)[sel]
    inputs.joint_pool[:, sel] = float(pool)
    inputs.joint_trigger[:, sel] = pile.trigger
    inputs.joint_rate[:, sel] = pile.rate
    inputs.joint_floor[:, sel] = pile.floor


def _shocks(ctx: ChainContext) -> None:
    """Each shock that covers this chain, through the compiler of its type."""
    for k, shock in enumerate(ctx.scenario.shocks):
        if ctx.chain.named_by(shock.minerals) and ctx.chain.carries(shock.elements):
            SHOCK_COMPILERS[shock.type](ctx, shock, f"shocks[{k}]")


def _sharing(ctx: ChainContext) -> None:
    """Members' reserved share of exports, from the agreement's start."""
    B = ctx.inputs.batch
    for k, share in enumerate(ctx.scenario.responses.sharing):
        if not ctx.chain.named_by(share.minerals):
            continue
        members = ctx.countries([share.group], f"responses.sharing[{k}]")
        t0, t1 = ctx.window(share.start, None)
        value = np.broadcast_to(members * share.share, (B, len(members))).copy()
        ctx.inputs.sharing.append(Window(t0, t1, value))


def _rerouting(ctx: ChainContext) -> None:
    """Delay before a new route opens and its monthly growth cap."""
    rerouting, B = ctx.scenario.responses.rerouting, ctx.inputs.batch
    if rerouting is not None:
        ctx.inputs.reroute_delay = np.full(B, float(rerouting.delay_months))
        ctx.inputs.reroute_growth = np.full(B, rerouting.growth)


def _recycling(ctx: ChainContext) -> None:
    """Secondary supply ramping to ``rate`` of the countries' base consumption at a stage."""
    T, chain = ctx.scenario.months, ctx.chain
    monthly = chain.consumption / 12.0
    for k, rec in enumerate(ctx.scenario.responses.recycling):
        if not chain.named_by([rec.mineral]) or rec.stage not in chain.stages:
            continue
        who = ctx.countries(rec.countries, f"responses.recycling[{k}]")
        s = chain.stage_index(rec.stage)
        t0, _ = ctx.window(rec.start, None)
        ramp = _ramp(T, t0, rec.ramp_months)
        ctx.inputs.recycling[:, :, who, s] += (ramp * rec.rate)[:, None, None] * monthly[who, s][
            None, None, :
        ]


def _new_capacity(ctx: ChainContext) -> None:
    """Projects' capacity after their lead time, ramping up linearly."""
    T, chain = ctx.scenario.months, ctx.chain
    for k, project in enumerate(ctx.scenario.responses.new_capacity):
        if not chain.named_by([project.mineral]) or project.stage not in chain.stages:
            continue
        where = f"responses.new_capacity[{k}] ({project.name})"
        who = ctx.countries([project.country], where)
        if not who.any():
            raise ScenarioError(
                f"{where}: {project.country} is not a node of the {chain.mineral} chain"
            )
        s = chain.stage_index(project.stage)
        t0, _ = ctx.window(project.start, None)
        ramp = _ramp(T, t0 + project.lead_months, project.ramp_months)
        share = 1.0 if chain.family_share is None else chain.family_share[who, s]
        ctx.inputs.new_capacity[:, :, who, s] += (ramp * project.capacity / 12.0)[:, None, None] * (
            share
        )


def _substitution(ctx: ChainContext) -> None:
    """Final use that falls after sustained shortfall: mask, share, lag and ramp."""
    B = ctx.inputs.batch
    for sub in ctx.scenario.responses.substitution:
        if not ctx.chain.named_by(sub.minerals):
            continue
        who = ctx.countries(sub.countries, "responses.substitution")
        stages = ctx.stages(sub.stages)
        ctx.inputs.substitution.append(
            (np.outer(who, stages), np.full(B, sub.share), sub.lag_months, sub.ramp_months)
        )


# The order matters only where two parts write the same array: stocks before stockpiles.
COMPILE_STEPS = (
    _commercial_stocks,
    _stockpiles,
    _shocks,
    _sharing,
    _rerouting,
    _recycling,
    _new_capacity,
    _substitution,
)


def compile_chain(
    chain: Chain,
    scenario: Scenario,
    network: Network,
    *,
    batch: int = 1,
    tracked_origins: list[str] | None = None,
    checked: bool = False,
) -> ChainInputs:
    """Arrays of one chain under one scenario (the same for each of ``batch`` members).

    The scenario is first checked on the network (``checks.py``): an id the network does not
    know, or a shock outside the horizon, is an error rather than a run without the shock.
    A caller that compiles several chains of one scenario checks it once and passes
    ``checked=True``.
    """
    if not checked:
        check_scenario(scenario, network)
    inputs = _empty_inputs(chain, scenario, batch, tracked_origins)
    ctx = ChainContext(chain, scenario, network, inputs, tracked_origins)
    for part in COMPILE_STEPS:
        part(ctx)
    inputs.feed_origin = _feed_origin(chain, network)
    return inputs


def _feed_origin(chain: Chain, network: Network) -> np.ndarray | None:
    """(C, C) origin mix of a recipe stage's principal input at the input's stage."""
    principal = next((item for item in chain.recipe if item.principal), None)
    if principal is None or principal.mineral not in network.chains:
        return None
    source = network.chains[principal.mineral]
    return origin_composition(source)[source.stages.index(principal.stage)]


def _ramp(months: int, start: int, ramp: int) -> np.ndarray:
    """0 before ``start``, rising linearly to 1 over ``ramp`` months."""
    t = np.arange(months, dtype=float)
    if ramp <= 0:
        return (t >= start).astype(float)
    return np.clip((t - start + 1) / ramp, 0.0, 1.0)
