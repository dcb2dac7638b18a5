"""The monthly stress-test engine: numpy state arrays stepped through a scenario.

``simulate(network, scenario)`` runs every chain the scenario covers and returns a
``RunResult``. ``run_chain`` does one chain for a batch of parameter sets at once (leading
axis B), which is what ensembles call.

Each month, for each stage in chain order (so material made upstream this month can feed
the next stage), ``step`` does:

1. Production: the first stage produces its target (base output x availability + new
   capacity, plus spare capacity when the price index is up); later stages turn the input
   drawn in the previous stage into output (x yield). Up to the origin stage, output takes
   the producing country as origin; later it keeps its inputs' origins. Recycling adds
   secondary output.
2. Home first: a producer keeps up to its base home share of its demand, the rest is
   exportable.
3. Existing customers: exportable supply goes to importers in proportion to base-year
   trade shares, after export bans and quotas (per exporter -> importer) and re-export
   controls (per origin -> importer). Blocked supply stays home as stock and becomes spare.
4. Sharing agreements: members reserve a share of their exports (and their spare) for
   members whose supply falls short of demand, ahead of other customers.
5. Rerouting: importers still short bid for spare supply elsewhere, in proportion to their
   gaps; a new route opens after a delay and grows by at most a share of the importer's base
   demand per month.
6. Shipping: shipments subject to a licence delay arrive months later (in transit).
7. Use: demand (final use + input to the next stage) is met from stock; national stockpiles
   release by rule (trigger, rate, floor); the rest is shortfall. Input drawn feeds step 1 of
   the next stage.
8. After all stages: the scarcity price index moves with the world shortfall share, and
   substitution lowers final use after a lag of sustained shortfall.

Mass balance holds at every node and step: the change in stock + stockpile equals
production + imports - exports - consumption, and world exports equal world imports plus the
change in material in transit.
"""

from __future__ import annotations

import numpy as np

from oreshock.metrics import origin_composition
from oreshock.network import Network
from oreshock.results import VARIABLES, RunResult, records

__all__ = ["VARIABLES", "ChainRun", "RunResult", "records", "run_chain", "simulate"]
from oreshock.scenario import Scenario
from oreshock.shocks import ChainInputs, compile_chain

TINY = 1e-12  # tonnes: below this a quantity is treated as zero, so ratios stay finite


def _div(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a / b where b is not (numerically) zero, else 0."""
    return np.divide(a, b, out=np.zeros(np.broadcast_shapes(a.shape, b.shape)), where=b > TINY)


def _combine(windows, t: int, shape) -> np.ndarray:
    """Product of (1 - cut) over active windows: the share allowed through."""
    allowed = np.ones(shape)
    for w in windows:
        if w.active(t):
            allowed = allowed * (1.0 - w.value)
    return allowed


def _allocate(pool, gap, pairs, pass_origin, offdiag, cap=None):
    """Share exporters' pools among importers in proportion to their gaps, in one pass.

    pool (B, Ce, O), gap (B, Ci), pairs (B, Ce, Ci) share allowed, pass_origin (B, Ci, O).
    No importer receives more than its gap; ``cap`` bounds each route. Returns the shipments
    (B, Ce, Ci, O) and what each exporter gave by origin (B, Ce, O), which never exceeds its
    pool origin by origin.
    """
    open_pairs = pairs * offdiag
    weight = gap[:, None, :] * (open_pairs > 0)
    share = _div(weight, weight.sum(axis=2, keepdims=True))
    offer = pool.sum(axis=2)[:, :, None] * share * open_pairs
    if cap is not None:
        offer = np.minimum(offer, cap)
    scale = np.minimum(1.0, _div(gap, offer.sum(axis=1)))
    offer = offer * scale[:, None, :]
    mix = _div(pool, pool.sum(axis=2, keepdims=True))
    extra = offer[..., None] * mix[:, :, None, :] * pass_origin[:, None, :, :]
    return extra, extra.sum(axis=2)


def _reroute(
    ship, spare, gap, gap_age, route, inputs, pairs, pass_origin, base_cons, offdiag, suppliers
):
    """Step 5: importers short of supply buy spare supply, directly or through swaps.

    Direct: spare supply (blocked exports, stock above its starting level) goes to importers
    with gaps where the pair is allowed. Swap: a third country redirects shipments from
    customers who have no gap to an importer in need, and those customers are backfilled from
    spare supply they may receive (the way a market reallocates around a bilateral ban). Both
    travel on new routes that open after ``delay`` months of shortfall and grow by at most
    ``growth`` x the importer's base monthly demand per month. A buyer does not bid feedstock
    away from its own suppliers of the next stage (``suppliers`` [j, i]: j sold the next
    stage to i in the base year), which would only starve its own supply further down.
    ``gap_age`` and ``route`` are updated in place.
    """
    short = gap > 1e-12
    gap_age += short
    opened = gap_age > inputs.reroute_delay[:, None]
    no_gap = ~short
    receives = ((spare.sum(axis=2)[:, :, None] > 0) & (pairs > 0) & offdiag).any(axis=1)
    feeds_short = (suppliers[None, :, :] & short[:, None, :]).any(axis=2)
    swap_base = ship * (receives & no_gap & ~feeds_short)[:, None, :, None]
    can_give = (spare.sum(axis=2) + swap_base.sum(axis=(2, 3))) > 0
    grow = inputs.reroute_growth[:, None, None] * base_cons[None, None, :]
    route += grow * (opened & short)[:, None, :] * can_give[:, :, None] * offdiag * (pairs > 0)
    open_pairs = pairs * (route > 0)
    direct, used = _allocate(spare, gap, open_pairs, pass_origin, offdiag, cap=route)
    spare = np.maximum(spare - used, 0.0)
    gap = np.maximum(gap - direct.sum(axis=(1, 3)), 0.0)
    ship = ship + direct
    left = np.maximum(route - direct.sum(axis=3), 0.0)
    backfill_total = spare.sum(axis=(1, 2))
    swappable = swap_base.sum(axis=2)
    if gap.sum() <= 0 or backfill_total.sum() <= 0 or swappable.sum() <= 0:
        return ship, spare, gap
    pool = (
        swappable * np.minimum(1.0, _div(backfill_total, swappable.sum(axis=(1, 2))))[:, None, None]
    )
    swapped, _ = _allocate(pool, gap, open_pairs * (left > 0), pass_origin, offdiag, cap=left)
    taken = swapped.sum(axis=2)  # (B, Ck, O)
    removed = swap_base * _div(taken, swappable)[:, :, None, :]
    lost = removed.sum(axis=(1, 3))
    backfill, used = _allocate(spare, lost, pairs, pass_origin, offdiag)
    spare = np.maximum(spare - used, 0.0)
    gap = np.maximum(gap - swapped.sum(axis=(1, 3)), 0.0)
    return ship - removed + swapped + backfill, spare, gap


class ChainRun:
    """Paths of one chain's run: arrays [T, B, C, S] per variable, flows when recorded."""

    def __init__(self, inputs: ChainInputs, series: dict[str, np.ndarray], flows, price):
        self.inputs = inputs
        self.series = series
        self.flows = flows
        self.price = price

    @property
    def chain(self):
        return self.inputs.chain


def run_chain(inputs: ChainInputs, *, record_flows: bool = False) -> ChainRun:
    """Step one chain through the horizon for every member of the batch."""
    ch = inputs.chain
    T, B = inputs.months, inputs.batch
    C, S = ch.production.shape
    O = len(inputs.origin_labels)
    own = np.zeros((C, O))
    own[np.arange(C), inputs.origin_of] = 1.0

    base_prod = ch.production / 12.0
    base_cons = ch.consumption / 12.0
    base_final = ch.final_use / 12.0
    base_flows = ch.trade / 12.0  # (S, C, C)
    base_exports = base_flows.sum(axis=2)  # (S, C)
    weights = _div(base_flows, base_exports[:, :, None])
    home_share = np.clip(_div(base_prod - base_exports.T, base_cons), 0.0, 1.0)  # (C, S)
    capacity = ch.capacity / 12.0
    yields = np.nan_to_num(ch.yields, nan=1.0)

    comp0 = origin_composition(ch)  # (S, C, C-origin)
    comp0 = np.stack([comp0[s] @ own for s in range(S)], axis=1)  # (C, S, O)
    stock = inputs.stock0[..., None] * comp0[None]
    pile = inputs.pile0[..., None] * comp0[None]
    pile_start = inputs.pile0.copy()
    slots = inputs.max_delay + 1
    transit = np.zeros((slots, B, S, C, O))
    route = np.zeros((B, S, C, C))
    gap_age = np.zeros((B, S, C))
    short_age = np.full((B, C, S), -1.0)
    price = np.ones((B, S))
    offdiag = ~np.eye(C, dtype=bool)
    next_suppliers = np.zeros((S, C, C), dtype=bool)
    next_suppliers[:-1] = base_flows[1:] > 0

    series = {v: np.zeros((T, B, C, S)) for v in VARIABLES}
    flows = np.zeros((T, S, C, C, O)) if record_flows else None
    prices = np.zeros((T, B, S))

    for t in range(T):
        avail = inputs.availability[t]
        planned = base_prod * avail + inputs.new_capacity[t]
        cap = capacity * avail + inputs.new_capacity[t]
        utilisation = np.clip(price - 1.0, 0.0, 1.0)[:, None, :]
        target = np.minimum(
            planned + np.maximum(cap - planned, 0.0) * utilisation, np.maximum(cap, planned)
        )
        final = (
            base_final
            * inputs.demand_factor[t]
            * price[:, None, :] ** (-inputs.elasticity[:, None, None])
        )
        for share_mask, share, lag, ramp in inputs.substitution:
            progress = np.clip((short_age - lag + 1) / max(ramp, 1), 0.0, 1.0) * (short_age >= 0)
            final = final * (1.0 - share[:, None, None] * progress * share_mask[None])
        need_input = np.zeros((B, C, S))
        need_input[..., :-1] = target[..., 1:] / yields[1:]
        demand = final + need_input
        allowed_pairs = _combine(inputs.export_cut, t, (B, S, C, C))
        allowed_origin = _combine(inputs.origin_cut, t, (B, S, C, O))
        delay = np.zeros((S, C, C), dtype=int)
        for w in inputs.delays:
            if w.active(t):
                delay = np.maximum(delay, w.value)
        reserve = np.zeros((B, C))
        for w in inputs.sharing:
            if w.active(t):
                reserve = np.maximum(reserve, w.value)
        members = reserve > 0
        carried = None
        for s in range(S):
            # 1. production
            if s == 0:
                made = target[:, :, 0, None] * own[None]
            else:
                made = carried * yields[s]
                if s <= ch.origin_stage:
                    made = made.sum(axis=2, keepdims=True) * own[None]
            made = made + inputs.recycling[t][:, :, s, None] * own[None]
            prod = made.sum(axis=2)
            mix = _div(made, prod[..., None])
            # 2. home first
            home = np.minimum(prod, home_share[:, s] * demand[:, :, s])
            exportable = prod - home
            # 3. existing customers, after bans, quotas and origin controls
            pass_origin = allowed_origin[:, s]  # (B, Ci, O)
            ship = (
                (exportable[:, :, None] * weights[s] * allowed_pairs[:, s])[..., None]
                * mix[:, :, None, :]
                * pass_origin[:, None, :, :]
            )
            unshipped = np.maximum(exportable[..., None] * mix - ship.sum(axis=2), 0.0)
            held = stock[:, :, s, :]
            excess = np.maximum(held.sum(axis=2) - inputs.stock0[:, :, s], 0.0)
            spare = unshipped + held * _div(excess, held.sum(axis=2))[..., None]
            due = transit[t % slots, :, s].copy()
            transit[t % slots, :, s] = 0.0
            expected = due + (ship * (delay[s] == 0)[None, :, :, None]).sum(axis=1)
            gap = np.maximum(demand[:, :, s] - home - expected.sum(axis=2), 0.0)
            # 4. sharing agreements among members
            if members.any():
                to_others = ship * (~members)[:, None, :, None]
                pool = spare * members[..., None] + to_others.sum(axis=2) * reserve[..., None]
                extra, used = _allocate(
                    pool, gap * members, allowed_pairs[:, s], pass_origin, offdiag
                )
                from_spare = np.minimum(used, spare)
                spare = spare - from_spare
                diverted = used - from_spare
                cut = _div(diverted, to_others.sum(axis=2))
                ship = ship - to_others * cut[:, :, None, :]
                gap = np.maximum(gap - extra.sum(axis=(1, 3)), 0.0)
                ship = ship + extra
            # 5. rerouting to spare supply elsewhere, directly or by swaps
            if inputs.reroute_delay is not None:
                ship, spare, gap = _reroute(
                    ship,
                    spare,
                    gap,
                    gap_age[:, s],
                    route[:, s],
                    inputs,
                    allowed_pairs[:, s],
                    pass_origin,
                    base_cons[:, s],
                    next_suppliers[s],
                    offdiag,
                )
            # 6. shipping, with licence delays
            exports_now = ship.sum(axis=(2, 3))
            arrive_now = due + (ship * (delay[s] == 0)[None, :, :, None]).sum(axis=1)
            for d in np.unique(delay[s]):
                if d == 0:
                    continue
                late = (ship * (delay[s] == d)[None, :, :, None]).sum(axis=1)
                transit[(t + d) % slots, :, s] += late
            stock[:, :, s, :] += made - ship.sum(axis=2) + arrive_now
            # 7. use, with stockpile release
            held = stock[:, :, s, :]
            total = held.sum(axis=2)
            use = np.minimum(demand[:, :, s], total)
            missing = demand[:, :, s] - use
            pile_now = pile[:, :, s, :].sum(axis=2)
            floor = inputs.pile_floor[:, :, s] * pile_start[:, :, s]
            trigger = _div(missing, demand[:, :, s]) > inputs.pile_trigger[:, :, s]
            release = np.where(
                trigger,
                np.minimum(
                    missing,
                    np.minimum(
                        inputs.pile_rate[:, :, s] * pile_start[:, :, s],
                        np.maximum(pile_now - floor, 0.0),
                    ),
                ),
                0.0,
            )
            drawn = held * _div(use, total)[..., None]
            released = pile[:, :, s, :] * _div(release, pile_now)[..., None]
            stock[:, :, s, :] -= drawn
            pile[:, :, s, :] -= released
            consumed = drawn + released
            if s + 1 < S:
                carried = consumed * _div(need_input[:, :, s], demand[:, :, s])[..., None]
            out = use + release
            series["production"][t, :, :, s] = prod
            series["exports"][t, :, :, s] = exports_now
            series["imports"][t, :, :, s] = arrive_now.sum(axis=2)
            series["consumption"][t, :, :, s] = out
            series["demand"][t, :, :, s] = demand[:, :, s]
            series["shortfall"][t, :, :, s] = demand[:, :, s] - out
            series["stock"][t, :, :, s] = stock[:, :, s, :].sum(axis=2)
            series["stockpile"][t, :, :, s] = pile[:, :, s, :].sum(axis=2)
            series["in_transit"][t, :, :, s] = transit[:, :, s].sum(axis=(0, 3))
            if flows is not None:
                flows[t, s] = ship[0]
        # 8. price index and substitution
        short_share = _div(series["shortfall"][t].sum(axis=1), series["demand"][t].sum(axis=1))
        price = (
            1.0
            + inputs.persistence[:, None] * (price - 1.0)
            + inputs.sensitivity[:, None] * short_share
        )
        prices[t] = price
        ratio = _div(series["shortfall"][t], series["demand"][t])
        short_age = np.where(
            short_age >= 0, short_age + 1, np.where(ratio > inputs.threshold, 0.0, -1.0)
        )
    return ChainRun(inputs, series, flows, prices)


def simulate(
    network: Network,
    scenario: Scenario,
    *,
    seed: int = 0,
    record_flows: bool = True,
    tracked_origins: list[str] | None = None,
) -> RunResult:
    """Run the scenario over every chain it covers (one parameter set)."""
    minerals = sorted(network.chains) if scenario.minerals == "all" else list(scenario.minerals)
    runs = {}
    for mineral in minerals:
        chain = network.chain(mineral)
        inputs = compile_chain(chain, scenario, network, tracked_origins=tracked_origins)
        runs[mineral] = run_chain(inputs, record_flows=record_flows)
    return RunResult(scenario, network, runs, seed=seed)
