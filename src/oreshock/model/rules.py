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
FEW_ORIGINS = 8  # up to this many origin buckets, sums over them are explicit additions


def by_origin_total(x: np.ndarray) -> np.ndarray:
    """(B, O, C) -> (B, C): total over origins. With few origins (an ensemble tracks two)
    the additions are written out: numpy adds the slices of an outer axis in order, so the
    result is the same to the last bit, without a reduction's setup on a small array."""
    origins = x.shape[1]
    if origins > FEW_ORIGINS:
        return x.sum(axis=1)
    total = x[:, 0] + x[:, 1] if origins > 1 else x[:, 0].copy()
    for o in range(2, origins):
        total += x[:, o]
    return total


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
    """(B, C, S) output aimed at: planned = base x availability + new capacity, raised along
    the short-run supply curve by the price supply has answered so far (``price``, lagged):
    planned x (p^e_s - 1) more, out of spare capacity (capacity - planned) only; never above
    the larger of capacity and plan."""
    avail = inputs.availability[t]
    planned = consts.base_prod * avail + inputs.new_capacity[t]
    cap = consts.capacity * avail + inputs.new_capacity[t]
    rise = np.maximum(node_price(price, consts) ** inputs.supply_elasticity[:, None, None] - 1, 0)
    return np.minimum(planned * (1.0 + rise), np.maximum(cap, planned))


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


def limit_to_holdings(ship: np.ndarray, made: np.ndarray, stock: np.ndarray) -> np.ndarray:
    """(B, O, Ce, Ci) shipments cut, per exporter and origin, to what it holds (this month's
    output + stock): a route above its base share (held licence orders released, stock
    building before a control) ships from stock, never from nothing."""
    shipped = shipped_by_exporter(ship)
    scale = np.minimum(1.0, safe_div(made + stock, shipped) + (shipped <= TINY))
    return ship * scale[:, :, :, None]


RELATIVE_RESIDUE = 1e-9  # share of a level below which a difference is rounding, not material


def spare_supply(
    exportable: np.ndarray,
    mix: np.ndarray,
    shipped: np.ndarray,
    held: np.ndarray,
    stock0: np.ndarray,
) -> np.ndarray:
    """(B, O, Ce) supply others may bid for: exportable output that could not be shipped
    (``shipped``: ``shipped_by_exporter`` of step 3's shipments; blocked, so it stays home)
    plus stock above its starting level."""
    unshipped = np.maximum(exportable[:, None, :] * mix - shipped, 0.0)
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
    prompt_arrivals: np.ndarray | None = None,
) -> np.ndarray:
    """(B, O, Ci) arriving now = due + prompt shipments (``prompt_arrivals``, ``arriving(ship,
    prompt)`` when not given); a shipment with a licence delay of d months goes into
    ``transit`` slot (t + d) mod slots (in place)."""
    if prompt_arrivals is None:
        prompt_arrivals = arriving(ship, prompt)
    arrive_now = due + prompt_arrivals
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


def pool_members(pool: np.ndarray) -> np.ndarray:
    """(B, C) pool id per country (-1: in none) -> (B, G, C) membership, 1.0 or 0.0."""
    count = int(pool.max()) + 1
    return (pool[:, None, :] == np.arange(count)[None, :, None]).astype(float)


def joint_release(
    joint: np.ndarray,
    joint_start: np.ndarray,
    pool: np.ndarray,
    missing: np.ndarray,
    demand: np.ndarray,
    trigger: np.ndarray,
    rate: np.ndarray,
    floor: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A joint stockpile is one pool held by its members (``pool``: (B, C) id, -1 for none):
    what a member may draw is limited by the pool, not by the part stored on its soil.

    need = max(missing - trigger x demand, 0) per member (``missing`` left after its own
    stock and national stockpile); each member's part can give min(rate x its opening part,
    part - floor x opening part). When the pool's members need more than its parts can give,
    each gets its need x (can give / need), else its whole need; each part gives in
    proportion to what it can give, and what a member receives carries the pool's origin mix.
    Returns (received (B, C), received by origin (B, O, C), given by origin (B, O, C));
    received - given summed over origins is a member's net transfer, zero over the pool."""
    members = pool_members(pool)  # (B, G, C)
    inside = pool >= 0
    part = by_origin_total(joint)
    need = np.where(inside, np.maximum(missing - trigger * demand, 0.0), 0.0)
    can = np.where(
        inside,
        np.minimum(rate * joint_start, np.maximum(part - floor * joint_start, 0.0)),
        0.0,
    )
    need_g = np.einsum("bgc,bc->bg", members, need)
    can_g = np.einsum("bgc,bc->bg", members, can)
    served = np.minimum(safe_div(can_g, need_g), 1.0)  # (B, G) share of need met
    drawn = np.minimum(safe_div(need_g, can_g), 1.0)  # (B, G) share of what can go
    received = need * np.einsum("bgc,bg->bc", members, served)
    given = can * np.einsum("bgc,bg->bc", members, drawn)
    given_by_origin = joint * safe_div(given, part)[:, None, :]
    pooled = np.einsum("bgc,boc->bog", members, given_by_origin)  # (B, O, G)
    mix = safe_div(pooled, pooled.sum(axis=1, keepdims=True))
    received_by_origin = np.einsum("bgc,bog->boc", members, mix) * received[:, None, :]
    return received, received_by_origin, given_by_origin


# 8. Market: demand response and price
def final_demand(
    inputs: ChainInputs,
    consts: ChainConstants,
    price: np.ndarray,
    short_age: np.ndarray,
    t: int,
) -> np.ndarray:
    """(B, C, S) final use = base x surge factor x max(p, 1)^-elasticity (``price`` lagged:
    demand answers scarcity by thrifting, it does not grow when a glut lowers a price below
    the base year's for a while), less substitution: share x
    progress, where progress rises linearly over ``ramp`` months once a node has been short
    for ``lag`` months."""
    final = (
        consts.base_final
        * inputs.demand_factor[t]
        * np.maximum(node_price(price, consts), 1.0) ** (-inputs.elasticity[:, None, None])
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


def node_price(price: np.ndarray, consts: ChainConstants) -> np.ndarray:
    """(B, C, S) the price index each country trades at: its price region's (B, R, S)."""
    return price[:, consts.region_of, :]


def market_signals(
    stock: np.ndarray, use: np.ndarray, demand: np.ndarray, cover: np.ndarray, mask: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(B, R, S) twice, summed over each price region's countries:

    - k = (stock left at month end + demand) / (demand x (1 + normal cover)): 1 in the base
      year, down to 1 / (1 + cover) when stocks are gone, above 1 when supply piles up
      (blocked exports stay home);
    - served = use / demand: below 1 only when demand goes unmet.

    Both are 1 where a region has no demand at a stage."""
    held, used, wanted = mask @ np.stack((stock, use, demand))  # one matmul for the three
    has = wanted > TINY
    safe = np.where(has, wanted, 1.0)
    k = np.where(has, (held + wanted) / (safe * (1.0 + cover)), 1.0)
    served = np.where(has, used / safe, 1.0)
    return k, served


def price_index(
    price: np.ndarray, k: np.ndarray, served: np.ndarray, inputs: ChainInputs
) -> np.ndarray:
    """(B, R, S) ln p_t = rho ln p_t-1 + (1 - rho) ln p*, where the price the month's market
    clears at is ln p* = -ln k / e_storage - ln served / (e_d + e_s): stocks below normal
    cover raise it as holders bid to keep them (the supply-of-storage curve), demand that goes
    unmet raises it along the short-run demand and supply curves; 1 / max <= p* <= max."""
    e_short = (inputs.elasticity + inputs.supply_elasticity)[:, None, None]
    e_storage = inputs.storage_elasticity[:, None, None]
    log_target = -np.log(np.maximum(k, 1e-12)) / e_storage
    log_target -= np.log(np.maximum(served, 1e-12)) / e_short
    cap = np.log(inputs.max_price)[:, None, None]
    log_target = np.clip(log_target, -cap, cap)
    rho = inputs.persistence[:, None, None]
    return np.exp(rho * np.log(price) + (1.0 - rho) * log_target)


def lagged_price(felt: np.ndarray, price: np.ndarray, lag: np.ndarray) -> np.ndarray:
    """(B, R, S) the price as a slow response sees it: felt_t = felt_t-1 + (p_t - felt_t-1) /
    lag, an exponential lag of mean ``lag`` months (B,): plants restart and users thrift over
    months, not in the month the price moves."""
    return felt + (price - felt) / lag[:, None, None]


def shortfall_age(
    short_age: np.ndarray, shortfall: np.ndarray, demand: np.ndarray, threshold: float
) -> np.ndarray:
    """(B, C, S) months since a node first fell short by more than ``threshold`` of demand
    (it keeps counting once started, which is what substitution's lag refers to); -1 before."""
    ratio = safe_div(shortfall, demand)
    return np.where(short_age >= 0, short_age + 1, np.where(ratio > threshold, 0.0, -1.0))
