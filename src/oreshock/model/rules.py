"""The engine's rules, one function each, with the equation it applies.

``step.py`` calls them in the numbered order of its docstring. Every rule reads named arrays
(``ChainConstants``, ``ChainState``, ``ChainInputs``) and returns new ones; none keeps state of
its own. Axis letters are those of ``record.py``; quantities are tonnes per month unless said.
"""

from __future__ import annotations

import numpy as np

from oreshock.model.allocation import Allocator
from oreshock.model.compile import ChainInputs, Window
from oreshock.model.state import TINY, ChainConstants, safe_div


# Sums over the shipment array (B, O, Ce, Ci) and the origin axis, named for what they give.
def by_origin_total(x: np.ndarray) -> np.ndarray:
    """(B, O, C) -> (B, C): total over origins."""
    return x.sum(axis=1)


def shipped_by_exporter(ship: np.ndarray) -> np.ndarray:
    """(B, O, Ce, Ci) -> (B, O, Ce): shipped by each exporter, by origin."""
    return ship.sum(axis=3)


def exports_of(ship: np.ndarray) -> np.ndarray:
    """(B, O, Ce, Ci) -> (B, Ce): shipped by each exporter."""
    return ship.sum(axis=(1, 3))


def imports_of(ship: np.ndarray) -> np.ndarray:
    """(B, O, Ce, Ci) -> (B, Ci): received by each importer."""
    return ship.sum(axis=(1, 2))


def arriving(ship: np.ndarray, prompt: np.ndarray | None) -> np.ndarray:
    """(B, O, Ce, Ci) -> (B, O, Ci): shipments that arrive this month (no licence delay)."""
    if prompt is None:
        return ship.sum(axis=2)
    return np.einsum("boei,ei->boi", ship, prompt)


def allowed_share(windows: list[Window], t: int, shape: tuple[int, ...]) -> np.ndarray:
    """prod_w (1 - cut_w) over the windows active in month t: the share let through."""
    allowed = np.ones(shape)
    for w in windows:
        if w.active(t):
            allowed = allowed * (1.0 - w.value)
    return allowed


def licence_delay(inputs: ChainInputs, t: int, stages: int, countries: int) -> np.ndarray:
    """(S, Ce, Ci) months a shipment waits: the longest delay active in month t."""
    delay = np.zeros((stages, countries, countries), dtype=int)
    for w in inputs.delays:
        if w.active(t):
            delay = np.maximum(delay, w.value)
    return delay


def sharing_reserve(inputs: ChainInputs, t: int, batch: int, countries: int) -> np.ndarray:
    """(B, C) share of its exports each member reserves for members in shortfall (0: none)."""
    reserve = np.zeros((batch, countries))
    for w in inputs.sharing:
        if w.active(t):
            reserve = np.maximum(reserve, w.value)
    return reserve


# 1. Production
def production_target(
    inputs: ChainInputs, consts: ChainConstants, price: np.ndarray, t: int
) -> np.ndarray:
    """(B, C, S) output aimed at: planned = base x availability + new capacity, plus the spare
    capacity (capacity - planned) used in proportion to the price rise, u = clip(p - 1, 0, 1);
    never above the larger of capacity and plan."""
    avail = inputs.availability[t]
    planned = consts.base_prod * avail + inputs.new_capacity[t]
    cap = consts.capacity * avail + inputs.new_capacity[t]
    utilisation = np.clip(price - 1.0, 0.0, 1.0)[:, None, :]
    return np.minimum(
        planned + np.maximum(cap - planned, 0.0) * utilisation, np.maximum(cap, planned)
    )


def produce(
    target: np.ndarray,
    carried: np.ndarray | None,
    consts: ChainConstants,
    recycled: np.ndarray,
    s: int,
) -> np.ndarray:
    """(B, O, C) output of stage s by origin: the first stage makes its target; a later one
    makes input drawn x yield; a first stage made by recipe (``carried`` given) makes what its
    scarcest input allows (``linking.py``). Up to the origin stage, output takes its producer as origin;
    later it keeps its inputs' origins. Secondary supply (``recycled``, (B, C)) is the
    recycler's own."""
    if s == 0 and carried is None:
        made = target[:, None, :, 0] * consts.own[None]
    elif s == 0:
        made = carried  # a recipe stage: what its scarcest input allows, with its origins
    else:
        assert carried is not None  # the previous stage always hands on its draw
        made = carried * consts.yields[:, s, None, None]
        if s <= consts.origin_stage:
            made = by_origin_total(made)[:, None, :] * consts.own[None]
    return made + recycled[:, None, :] * consts.own[None]


# 2. Home first
def home_first(
    prod: np.ndarray, home_share: np.ndarray, demand: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """home = min(output, home share x demand); exportable = output - home. (B, C) each."""
    home = np.minimum(prod, home_share * demand)
    return home, prod - home


# 3. Existing customers
def existing_customers(
    exportable: np.ndarray,
    mix: np.ndarray,
    weights: np.ndarray,
    pairs: np.ndarray,
    pass_origin: np.ndarray,
) -> np.ndarray:
    """(B, O, Ce, Ci) ship = exportable[e] x weight[e, i] x allowed[e, i] x mix[o, e] x
    pass[o, i]: base-year customers in proportion to their trade shares, after bans and quotas
    (``pairs``) and re-export controls (``pass_origin``)."""
    flow = exportable[:, :, None] * weights * pairs  # (B, Ce, Ci)
    ship = mix[:, :, :, None] * pass_origin[:, :, None, :]
    ship *= flow[:, None, :, :]
    return ship


RELATIVE_RESIDUE = 1e-9  # share of a level below which a difference is rounding, not material


def spare_supply(
    exportable: np.ndarray,
    mix: np.ndarray,
    ship: np.ndarray,
    held: np.ndarray,
    stock0: np.ndarray,
) -> np.ndarray:
    """(B, O, Ce) supply others may bid for: exportable output that could not be shipped
    (blocked, so it stays home) plus stock above its starting level."""
    unshipped = np.maximum(exportable[:, None, :] * mix - shipped_by_exporter(ship), 0.0)
    held_total = by_origin_total(held)
    excess = held_total - stock0
    # Stock back at its starting level up to rounding (a sum over many origins) is not spare:
    # that residue would open routes in one origin bucketing and not in another.
    excess = np.where(excess > RELATIVE_RESIDUE * np.maximum(stock0, 1.0), excess, 0.0)
    return unshipped + held * safe_div(excess, held_total)[:, None, :]


# 4. Sharing agreements
def share_among_members(
    ship: np.ndarray,
    spare: np.ndarray,
    gap: np.ndarray,
    reserve: np.ndarray,
    pairs: np.ndarray,
    pass_origin: np.ndarray,
    offdiag: np.ndarray,
    allocate: Allocator,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Members pool their spare supply and ``reserve`` x their shipments to non-members, and
    share the pool among members with gaps: pool[e] = spare[e] 1[e member] + reserve[e] x
    ship[e -> non-members]. What is given comes from spare first, then from the shipments to
    non-members, cut in proportion. Returns (ship, spare, gap)."""
    members = reserve > 0
    wanted = gap * members
    if not (wanted > TINY).any():  # no member short: nothing to share, nothing moves
        return ship, spare, np.maximum(gap, 0.0)
    to_others = ship * (~members)[:, None, None, :]
    others_by_exporter = shipped_by_exporter(to_others)
    pool = spare * members[:, None, :] + others_by_exporter * reserve[:, None, :]
    shared = allocate(pool, wanted, pairs, pass_origin, offdiag)
    from_spare = np.minimum(shared.given, spare)
    spare = spare - from_spare
    cut = safe_div(shared.given - from_spare, others_by_exporter)
    to_others *= cut[..., None]
    ship -= to_others
    ship += shared.ship
    return ship, spare, np.maximum(gap - shared.received, 0.0)


# 5. Rerouting
def reroute(
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
    allocate: Allocator,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Importers short of supply buy spare supply, directly or through swaps.

    Direct: spare supply (blocked exports, stock above its starting level) goes to importers
    with gaps where the pair is allowed. Swap: a third country redirects shipments from
    customers who have no gap to an importer in need, and those customers are backfilled from
    spare supply they may receive (the way a market reallocates around a bilateral ban). Both
    travel on new routes that open after ``delay`` months of shortfall and grow by at most
    route[e, i] += growth x base demand[i] per month. A buyer does not bid feedstock away from
    its own suppliers of the next stage (``suppliers`` [j, i]: j sold the next stage to i in the
    base year), which would only starve its own supply further down. ``gap_age`` and ``route``
    are updated in place. Returns (ship, spare, gap).
    """
    assert inputs.reroute_delay is not None and inputs.reroute_growth is not None
    short = gap > TINY
    gap_age += short
    if not short.any():
        return ship, spare, gap
    opened = gap_age > inputs.reroute_delay[:, None]
    # Spare supply below TINY is float residue, not supply: it must open no route, or results
    # would depend on how origins are bucketed.
    receives = ((by_origin_total(spare)[:, :, None] > TINY) & (pairs > 0) & offdiag).any(axis=1)
    feeds_short = (suppliers & short[:, None, :]).any(axis=2)
    swap_base = ship * (receives & ~short & ~feeds_short)[:, None, None, :]
    can_give = (by_origin_total(spare) + exports_of(swap_base)) > TINY
    grow = inputs.reroute_growth[:, None, None] * base_cons[:, None, :]
    route += grow * (opened & short)[:, None, :] * can_give[:, :, None] * offdiag * (pairs > 0)
    open_pairs = pairs * (route > 0)
    direct = allocate(spare, gap, open_pairs, pass_origin, offdiag, cap=route)
    spare = np.maximum(spare - direct.given, 0.0)
    gap = np.maximum(gap - direct.received, 0.0)
    ship = ship + direct.ship  # a new array: the caller's stays as it was
    left = np.maximum(route - direct.sent, 0.0)
    backfill_total = spare.sum(axis=(1, 2))
    swappable = shipped_by_exporter(swap_base)
    if gap.sum() <= 0 or backfill_total.sum() <= 0 or swappable.sum() <= 0:
        return ship, spare, gap
    room = np.minimum(1.0, safe_div(backfill_total, swappable.sum(axis=(1, 2))))
    swapped = allocate(
        swappable * room[:, None, None],
        gap,
        open_pairs * (left > TINY),
        pass_origin,
        offdiag,
        cap=left,
    )
    removed = swap_base * safe_div(swapped.given, swappable)[..., None]
    backfill = allocate(spare, imports_of(removed), pairs, pass_origin, offdiag)
    spare = np.maximum(spare - backfill.given, 0.0)
    gap = np.maximum(gap - swapped.received, 0.0)
    ship -= removed
    ship += swapped.ship
    ship += backfill.ship
    return ship, spare, gap


# 6. Shipping
def take_due(transit: np.ndarray, t: int, s: int) -> np.ndarray:
    """(B, O, Ci) shipments due this month, removed from ``transit`` (in place)."""
    slot = t % transit.shape[0]
    due = transit[slot, :, s].copy()
    transit[slot, :, s] = 0.0
    return due


def dispatch(
    ship: np.ndarray,
    due: np.ndarray,
    prompt: np.ndarray | None,
    delay: np.ndarray,
    transit: np.ndarray,
    t: int,
    s: int,
) -> np.ndarray:
    """(B, O, Ci) arriving now = due + prompt shipments; a shipment with a licence delay of d
    months goes into ``transit`` slot (t + d) mod slots (in place)."""
    arrive_now = due + arriving(ship, prompt)
    if prompt is None:  # no licence delay on any route this month
        return arrive_now
    slots = transit.shape[0]
    for d in np.unique(delay):
        if d == 0:
            continue
        late = np.einsum("boei,ei->boi", ship, (delay == d).astype(float))
        transit[(t + d) % slots, :, s] += late
    return arrive_now


# 7. Use and stockpiles
def use_and_release(
    held: np.ndarray,
    pile: np.ndarray,
    demand: np.ndarray,
    pile_start: np.ndarray,
    trigger: np.ndarray,
    rate: np.ndarray,
    floor: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """use = min(demand, stock); the stockpile tolerates a shortfall up to trigger x demand
    and covers the rest: release = min(missing - trigger x demand, rate x initial level,
    level - floor x initial level). Stock and stockpile are drawn in proportion to their origin
    mix. Returns (use, release) (B, C) and (drawn, released) (B, O, C)."""
    total = by_origin_total(held)
    use = np.minimum(demand, total)
    missing = demand - use
    pile_now = by_origin_total(pile)
    beyond = np.maximum(missing - trigger * demand, 0.0)
    release = np.minimum(
        beyond,
        np.minimum(rate * pile_start, np.maximum(pile_now - floor * pile_start, 0.0)),
    )
    drawn = held * safe_div(use, total)[:, None, :]
    released = pile * safe_div(release, pile_now)[:, None, :]
    return use, release, drawn, released


# 8. Market: demand response and price
def final_demand(
    inputs: ChainInputs,
    consts: ChainConstants,
    price: np.ndarray,
    short_age: np.ndarray,
    t: int,
) -> np.ndarray:
    """(B, C, S) final use = base x surge factor x p^-elasticity, less substitution: share x
    progress, where progress rises linearly over ``ramp`` months once a node has been short
    for ``lag`` months."""
    final = (
        consts.base_final
        * inputs.demand_factor[t]
        * price[:, None, :] ** (-inputs.elasticity[:, None, None])
    )
    for share_mask, share, lag, ramp in inputs.substitution:
        progress = np.clip((short_age - lag + 1) / max(ramp, 1), 0.0, 1.0) * (short_age >= 0)
        final = final * (1.0 - share[:, None, None] * progress * share_mask[None])
    return final


def input_demand(target: np.ndarray, yields: np.ndarray) -> np.ndarray:
    """(B, C, S) input each stage wants from the one before: next stage's target / its yield
    (``yields`` (K, S))."""
    need = np.zeros(target.shape)
    need[..., :-1] = target[..., 1:] / yields[:, None, 1:]
    return need


def price_index(
    price: np.ndarray,
    shortfall: np.ndarray,
    demand: np.ndarray,
    persistence: np.ndarray,
    sensitivity: np.ndarray,
) -> np.ndarray:
    """(B, S) p_t = 1 + persistence (p_t-1 - 1) + sensitivity x world shortfall share."""
    short_share = safe_div(shortfall.sum(axis=1), demand.sum(axis=1))
    return 1.0 + persistence[:, None] * (price - 1.0) + sensitivity[:, None] * short_share


def shortfall_age(
    short_age: np.ndarray, shortfall: np.ndarray, demand: np.ndarray, threshold: float
) -> np.ndarray:
    """(B, C, S) months since a node first fell short by more than ``threshold`` of demand
    (it keeps counting once started, which is what substitution's lag refers to); -1 before."""
    ratio = safe_div(shortfall, demand)
    return np.where(short_age >= 0, short_age + 1, np.where(ratio > threshold, 0.0, -1.0))
