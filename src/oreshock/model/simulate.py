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
   cover the shortfall beyond a tolerated share (trigger), at most a rate a month and never
   below a floor; the rest is shortfall. Input drawn feeds step 1 of
   the next stage.
8. After all stages: the scarcity price index moves with the world shortfall share, and
   substitution lowers final use after a lag of sustained shortfall.

Mass balance holds at every node and step: the change in stock + stockpile equals
production + imports - exports - consumption, and world exports equal world imports plus the
change in material in transit.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from oreshock.model.network import Chain, Network, origin_composition
from oreshock.model.results import VARIABLES, RunResult

__all__ = ["VARIABLES", "ChainRun", "RunResult", "run_chain", "simulate"]
from oreshock.model.compile import ChainInputs, Window, compile_chain
from oreshock.model.scenario import Scenario

TINY = 1e-12  # tonnes: below this a quantity is treated as zero, so ratios stay finite


def _div(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a / b where b is not (numerically) zero, else 0."""
    return np.divide(a, b, out=np.zeros(np.broadcast_shapes(a.shape, b.shape)), where=b > TINY)


# Arrays that carry origins put the origin axis before the country axes, (B, O, C) and
# (B, O, exporter, importer): elementwise work and sums then run along contiguous country
# axes, several times faster than with a short trailing origin axis.
def _o(x: np.ndarray) -> np.ndarray:
    """(B, O, C) -> (B, C): total over origins."""
    return x.sum(axis=1)


def _by_exporter(ship: np.ndarray) -> np.ndarray:
    """(B, O, Ce, Ci) -> (B, O, Ce): shipped by each exporter, by origin."""
    return ship.sum(axis=3)


def _out_total(ship: np.ndarray) -> np.ndarray:
    """(B, O, Ce, Ci) -> (B, Ce): shipped by each exporter."""
    return ship.sum(axis=(1, 3))


def _in_total(ship: np.ndarray) -> np.ndarray:
    """(B, O, Ce, Ci) -> (B, Ci): received by each importer."""
    return ship.sum(axis=(1, 2))


def _arriving(ship: np.ndarray, prompt: np.ndarray | None) -> np.ndarray:
    """(B, O, Ce, Ci) -> (B, O, Ci): shipments that arrive this month (no licence delay)."""
    if prompt is None:
        return ship.sum(axis=2)
    return np.einsum("boei,ei->boi", ship, prompt)


def _combine(windows: list[Window], t: int, shape: tuple[int, ...]) -> np.ndarray:
    """Product of (1 - cut) over active windows: the share allowed through."""
    allowed = np.ones(shape)
    for w in windows:
        if w.active(t):
            allowed = allowed * (1.0 - w.value)
    return allowed


class Allocation(NamedTuple):
    """Shipments from one allocation pass and their margins."""

    ship: np.ndarray  # (B, O, Ce, Ci)
    given: np.ndarray  # (B, O, Ce) by exporter and origin
    received: np.ndarray  # (B, Ci) by importer
    sent: np.ndarray  # (B, Ce, Ci) by route


def _allocate(
    pool: np.ndarray,
    gap: np.ndarray,
    pairs: np.ndarray,
    pass_origin: np.ndarray,
    offdiag: np.ndarray,
    cap: np.ndarray | None = None,
) -> Allocation:
    """Share exporters' pools among importers in proportion to their gaps, in one pass.

    pool (B, O, Ce), gap (B, Ci), pairs (B, Ce, Ci) share allowed, pass_origin (B, O, Ci).
    No importer receives more than its gap; ``cap`` bounds each route; no exporter gives more
    than its pool, origin by origin. The margins come from small matrix products rather than
    sums over the 4-D shipments.
    """
    open_pairs = pairs * offdiag
    weight = gap[:, None, :] * (open_pairs > 0)
    share = _div(weight, weight.sum(axis=2, keepdims=True))
    total = _o(pool)
    offer = total[:, :, None] * share * open_pairs
    if cap is not None:
        offer = np.minimum(offer, cap)
    scale = np.minimum(1.0, _div(gap, offer.sum(axis=1)))
    offer = offer * scale[:, None, :]
    mix = _div(pool, total[:, None, :])
    ship = mix[:, :, :, None] * pass_origin[:, :, None, :]
    ship *= offer[:, None, :, :]  # in place: large temporaries cost more than the products
    given = mix * np.matmul(pass_origin, offer.transpose(0, 2, 1))
    received = (pass_origin * np.matmul(mix, offer)).sum(axis=1)
    sent = offer * np.matmul(mix.transpose(0, 2, 1), pass_origin)
    return Allocation(ship, given, received, sent)


def _reroute(
    ship: np.ndarray,
    spare: np.ndarray,
    gap: np.ndarray,
    gap_age: np.ndarray,
    route: np.ndarray,
    inputs: ChainInputs,
    pairs: np.ndarray,
    pass_origin: np.ndarray,
    base_cons: np.ndarray,
    offdiag: np.ndarray,
    suppliers: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
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
    if not short.any():
        return ship, spare, gap
    opened = gap_age > inputs.reroute_delay[:, None]
    receives = ((_o(spare)[:, :, None] > 0) & (pairs > 0) & offdiag).any(axis=1)
    feeds_short = (suppliers[None, :, :] & short[:, None, :]).any(axis=2)
    swap_base = ship * (receives & ~short & ~feeds_short)[:, None, None, :]
    can_give = (_o(spare) + _out_total(swap_base)) > 0
    grow = inputs.reroute_growth[:, None, None] * base_cons[None, None, :]
    route += grow * (opened & short)[:, None, :] * can_give[:, :, None] * offdiag * (pairs > 0)
    open_pairs = pairs * (route > 0)
    direct = _allocate(spare, gap, open_pairs, pass_origin, offdiag, cap=route)
    spare = np.maximum(spare - direct.given, 0.0)
    gap = np.maximum(gap - direct.received, 0.0)
    ship = ship + direct.ship  # a new array: the caller's stays as it was
    left = np.maximum(route - direct.sent, 0.0)
    backfill_total = spare.sum(axis=(1, 2))
    swappable = _by_exporter(swap_base)
    if gap.sum() <= 0 or backfill_total.sum() <= 0 or swappable.sum() <= 0:
        return ship, spare, gap
    room = np.minimum(1.0, _div(backfill_total, swappable.sum(axis=(1, 2))))
    swapped = _allocate(
        swappable * room[:, None, None],
        gap,
        open_pairs * (left > 0),
        pass_origin,
        offdiag,
        cap=left,
    )
    removed = swap_base * _div(swapped.given, swappable)[..., None]
    backfill = _allocate(spare, _in_total(removed), pairs, pass_origin, offdiag)
    spare = np.maximum(spare - backfill.given, 0.0)
    gap = np.maximum(gap - swapped.received, 0.0)
    ship -= removed
    ship += swapped.ship
    ship += backfill.ship
    return ship, spare, gap


class ChainRun:
    """Paths of one chain's run: arrays [T, B, C, S] per variable, flows [T, S, Ce, Ci, O]
    when recorded."""

    def __init__(
        self,
        inputs: ChainInputs,
        series: dict[str, np.ndarray],
        flows: np.ndarray | None,
        price: np.ndarray,
        final_use: np.ndarray | None = None,
    ):
        self.inputs = inputs
        self.series = series
        self.flows = flows
        self.price = price
        self.final_use = final_use  # [T, B, C, S] final-use part of demand

    @property
    def chain(self) -> Chain:
        return self.inputs.chain


def run_chain(inputs: ChainInputs, *, record_flows: bool = False) -> ChainRun:
    """Step one chain through the horizon for every member of the batch."""
    ch = inputs.chain
    T, B = inputs.months, inputs.batch
    C, S = ch.production.shape
    O = len(inputs.origin_labels)
    own = np.zeros((O, C))
    own[inputs.origin_of, np.arange(C)] = 1.0

    base_prod = ch.production / 12.0
    base_cons = ch.consumption / 12.0
    base_final = ch.final_use / 12.0
    base_flows = ch.trade / 12.0  # (S, C, C)
    base_exports = base_flows.sum(axis=2)  # (S, C)
    weights = _div(base_flows, base_exports[:, :, None])
    home_share = np.clip(_div(base_prod - base_exports.T, base_cons), 0.0, 1.0)  # (C, S)
    capacity = ch.capacity / 12.0
    yields = np.nan_to_num(ch.yields, nan=1.0)

    composition = origin_composition(ch)  # (S, C, origin country)
    comp0 = np.stack([(composition[s] @ own.T).T for s in range(S)])  # (S, O, C)
    stock = inputs.stock0.transpose(0, 2, 1)[:, :, None, :] * comp0[None]  # (B, S, O, C)
    pile = inputs.pile0.transpose(0, 2, 1)[:, :, None, :] * comp0[None]
    pile_start = inputs.pile0.copy()
    slots = inputs.max_delay + 1
    transit = np.zeros((slots, B, S, O, C))
    route = np.zeros((B, S, C, C))
    gap_age = np.zeros((B, S, C))
    short_age = np.full((B, C, S), -1.0)
    price = np.ones((B, S))
    offdiag = ~np.eye(C, dtype=bool)
    next_suppliers = np.zeros((S, C, C), dtype=bool)
    next_suppliers[:-1] = base_flows[1:] > 0

    series = {v: np.zeros((T, B, C, S)) for v in VARIABLES}
    final_use = np.zeros((T, B, C, S))
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
        final_use[t] = final
        need_input = np.zeros((B, C, S))
        need_input[..., :-1] = target[..., 1:] / yields[1:]
        demand = final + need_input
        allowed_pairs = _combine(inputs.export_cut, t, (B, S, C, C))
        allowed_origin = _combine(inputs.origin_cut, t, (B, S, C, O)).transpose(0, 1, 3, 2)
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
                made = target[:, None, :, 0] * own[None]
            else:
                made = carried * yields[s]
                if s <= ch.origin_stage:
                    made = _o(made)[:, None, :] * own[None]
            made = made + inputs.recycling[t][:, None, :, s] * own[None]
            prod = _o(made)
            mix = _div(made, prod[:, None, :])
            # 2. home first
            home = np.minimum(prod, home_share[:, s] * demand[:, :, s])
            exportable = prod - home
            # 3. existing customers, after bans, quotas and origin controls
            pass_origin = allowed_origin[:, s]  # (B, O, Ci)
            prompt = None if not delay[s].any() else (delay[s] == 0).astype(float)
            flow = exportable[:, :, None] * weights[s] * allowed_pairs[:, s]  # (B, Ce, Ci)
            ship = mix[:, :, :, None] * pass_origin[:, :, None, :]
            ship *= flow[:, None, :, :]
            unshipped = np.maximum(exportable[:, None, :] * mix - _by_exporter(ship), 0.0)
            held = stock[:, s]
            held_total = _o(held)
            excess = np.maximum(held_total - inputs.stock0[:, :, s], 0.0)
            spare = unshipped + held * _div(excess, held_total)[:, None, :]
            due = transit[t % slots, :, s].copy()
            transit[t % slots, :, s] = 0.0
            expected = due + _arriving(ship, prompt)
            gap = np.maximum(demand[:, :, s] - home - _o(expected), 0.0)
            # 4. sharing agreements among members
            if members.any():
                to_others = ship * (~members)[:, None, None, :]
                others_by_exporter = _by_exporter(to_others)
                pool = spare * members[:, None, :] + others_by_exporter * reserve[:, None, :]
                shared = _allocate(pool, gap * members, allowed_pairs[:, s], pass_origin, offdiag)
                from_spare = np.minimum(shared.given, spare)
                spare = spare - from_spare
                cut = _div(shared.given - from_spare, others_by_exporter)
                to_others *= cut[..., None]
                ship -= to_others
                ship += shared.ship
                gap = np.maximum(gap - shared.received, 0.0)
            # 5. rerouting to spare supply elsewhere, directly or by swaps
            if inputs.reroute_delay is not None:
                ship, spare, gap = _reroute(
                    ship,
                    spare,
                    gap,
                    gap_age[:, s],
                    route[:, s],
                    inputs,
                    pairs=allowed_pairs[:, s],
                    pass_origin=pass_origin,
                    base_cons=base_cons[:, s],
                    offdiag=offdiag,
                    suppliers=next_suppliers[s],
                )
            # 6. shipping, with licence delays
            exports_now = _out_total(ship)
            arrive_now = due + _arriving(ship, prompt)
            for d in np.unique(delay[s]):
                if d == 0:
                    continue
                late = np.einsum("boei,ei->boi", ship, (delay[s] == d).astype(float))
                transit[(t + d) % slots, :, s] += late
            stock[:, s] += made - _by_exporter(ship) + arrive_now
            # 7. use, with stockpile release
            held = stock[:, s]
            total = _o(held)
            use = np.minimum(demand[:, :, s], total)
            missing = demand[:, :, s] - use
            pile_now = _o(pile[:, s])
            floor = inputs.pile_floor[:, :, s] * pile_start[:, :, s]
            # The stockpile tolerates a shortfall up to `trigger` x demand and covers the rest,
            # at most `rate` x its initial level a month and never below its floor.
            beyond = np.maximum(missing - inputs.pile_trigger[:, :, s] * demand[:, :, s], 0.0)
            release = np.minimum(
                beyond,
                np.minimum(
                    inputs.pile_rate[:, :, s] * pile_start[:, :, s],
                    np.maximum(pile_now - floor, 0.0),
                ),
            )
            drawn = held * _div(use, total)[:, None, :]
            released = pile[:, s] * _div(release, pile_now)[:, None, :]
            stock[:, s] -= drawn
            pile[:, s] -= released
            consumed = drawn + released
            if s + 1 < S:
                carried = consumed * _div(need_input[:, :, s], demand[:, :, s])[:, None, :]
            out = use + release
            series["production"][t, :, :, s] = prod
            series["exports"][t, :, :, s] = exports_now
            series["imports"][t, :, :, s] = _o(arrive_now)
            series["consumption"][t, :, :, s] = out
            series["demand"][t, :, :, s] = demand[:, :, s]
            series["shortfall"][t, :, :, s] = demand[:, :, s] - out
            series["stock"][t, :, :, s] = _o(stock[:, s])
            series["stockpile"][t, :, :, s] = _o(pile[:, s])
            series["in_transit"][t, :, :, s] = transit[:, :, s].sum(axis=(0, 2))
            if flows is not None:
                flows[t, s] = ship[0].transpose(1, 2, 0)
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
    return ChainRun(inputs, series, flows, prices, final_use)


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
