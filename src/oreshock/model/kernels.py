"""Compiled twins of the allocation, sharing and rerouting rules (numba).

The engine's arrays are small (a few thousand cells per stage and month) and the numpy rules
make dozens of calls on them, so the time goes to call overhead and temporaries rather than
arithmetic. These functions do the same arithmetic in compiled loops, in the order the numpy
rules (``allocation.allocate_by_gap``, ``rules.share_among_members``, ``rules.reroute``) state
it; those stay the reference. ``tests/test_kernels.py`` checks that both give the same runs to
1e-12 on every shipped scenario variant, and the ``kernels`` option (``ORESHOCK_KERNELS``)
chooses the numpy path for a run.

Axis letters are those of ``record.py``; K is the constants' batch axis (1, or B for stacks).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from oreshock.model.state import TINY


@njit(cache=True)
def allocate(
    pool: np.ndarray,
    gap: np.ndarray,
    pairs: np.ndarray,
    pass_origin: np.ndarray,
    offdiag: np.ndarray,
    cap: np.ndarray,
    use_cap: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``allocation.allocate_by_gap``: offers in proportion to gaps over open routes, scaled
    to each importer's gap, carrying each exporter's origin mix. Returns (ship, given,
    received, sent)."""
    ship = np.zeros((pool.shape[0], pool.shape[1], pool.shape[2], gap.shape[1]))
    given, received, sent = allocate_into(
        ship, pool, gap, pairs, pass_origin, offdiag, cap, use_cap
    )
    return ship, given, received, sent


@njit(cache=True)
def allocate_into(
    ship: np.ndarray,
    pool: np.ndarray,
    gap: np.ndarray,
    pairs: np.ndarray,
    pass_origin: np.ndarray,
    offdiag: np.ndarray,
    cap: np.ndarray,
    use_cap: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``allocate`` with its shipments added to ``ship`` (in place: ship + the allocation,
    cell by cell, without the allocation's own array). Returns (given, received, sent)."""
    B, O, E = pool.shape
    n_imp = gap.shape[1]
    given = np.zeros((B, O, E))
    received = np.zeros((B, n_imp))
    sent = np.zeros((B, E, n_imp))
    offer = np.empty((E, n_imp))
    mix = np.empty((O, E))
    for b in range(B):
        for e in range(E):
            total = 0.0
            for o in range(O):
                total += pool[b, o, e]
            weights = 0.0
            for i in range(n_imp):
                if pairs[b, e, i] * offdiag[e, i] > 0:
                    weights += gap[b, i]
            for i in range(n_imp):
                open_pair = pairs[b, e, i] * offdiag[e, i]
                share = gap[b, i] / weights if open_pair > 0 and weights > TINY else 0.0
                x = total * share * open_pair
                if use_cap != 0 and cap[b, e, i] < x:
                    x = cap[b, e, i]
                offer[e, i] = x
            for o in range(O):
                mix[o, e] = pool[b, o, e] / total if total > TINY else 0.0
        for i in range(n_imp):
            column = 0.0
            for e in range(E):
                column += offer[e, i]
            scale = min(1.0, gap[b, i] / column) if column > TINY else 0.0
            for e in range(E):
                offer[e, i] *= scale
        for o in range(O):
            for e in range(E):
                m = mix[o, e]
                if m == 0.0:
                    continue
                for i in range(n_imp):
                    x = m * pass_origin[b, o, i] * offer[e, i]
                    ship[b, o, e, i] += x
                    given[b, o, e] += x
                    received[b, i] += x
                    sent[b, e, i] += x
    return given, received, sent


@njit(cache=True)
def share_among_members(
    ship: np.ndarray,
    spare: np.ndarray,
    gap: np.ndarray,
    reserve: np.ndarray,
    pairs: np.ndarray,
    pass_origin: np.ndarray,
    offdiag: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``rules.share_among_members`` (its early return included): members pool spare supply
    and the reserved share of their shipments to non-members for members with gaps."""
    B, O, E, n_imp = ship.shape
    wanted = np.zeros((B, n_imp))
    any_wanted = False
    for b in range(B):
        for i in range(n_imp):
            if reserve[b, i] > 0:
                wanted[b, i] = gap[b, i]
                if gap[b, i] > TINY:
                    any_wanted = True
    if not any_wanted:
        return ship, spare, np.maximum(gap, 0.0)
    others = np.zeros((B, O, E))
    pool = np.zeros((B, O, E))
    for b in range(B):
        for o in range(O):
            for e in range(E):
                s = 0.0
                for i in range(n_imp):
                    if not reserve[b, i] > 0:
                        s += ship[b, o, e, i]
                others[b, o, e] = s
                member = 1.0 if reserve[b, e] > 0 else 0.0
                pool[b, o, e] = spare[b, o, e] * member + s * reserve[b, e]
    shared, given, received, _ = allocate(pool, wanted, pairs, pass_origin, offdiag, pairs, 0)
    ship = ship.copy()
    spare = spare.copy()
    for b in range(B):
        for o in range(O):
            for e in range(E):
                from_spare = min(given[b, o, e], spare[b, o, e])
                spare[b, o, e] -= from_spare
                rest = given[b, o, e] - from_spare
                cut = rest / others[b, o, e] if others[b, o, e] > TINY else 0.0
                for i in range(n_imp):
                    if not reserve[b, i] > 0:
                        ship[b, o, e, i] -= ship[b, o, e, i] * cut
                    ship[b, o, e, i] += shared[b, o, e, i]
    return ship, spare, np.maximum(gap - received, 0.0)


@njit(cache=True)
def _clip_sub(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """max(a - b, 0) elementwise (any shape, C order), in loops: numba's array expressions
    compile far more slowly than the loops they stand for."""
    out = np.empty_like(a)
    flat_a, flat_b, flat_out = a.ravel(), b.ravel(), out.ravel()
    for n in range(flat_a.size):
        x = flat_a[n] - flat_b[n]
        flat_out[n] = x if x > 0.0 else 0.0
    return out


@njit(cache=True)
def _add_into(a: np.ndarray, b: np.ndarray, sign: float) -> None:
    """a += sign x b elementwise, in place (C order)."""
    flat_a, flat_b = a.ravel(), b.ravel()
    for n in range(flat_a.size):
        flat_a[n] += sign * flat_b[n]


@njit(cache=True)
def _grow_routes(
    ship: np.ndarray,
    spare: np.ndarray,
    short: np.ndarray,
    gap_age: np.ndarray,
    route: np.ndarray,
    s: int,
    delay: np.ndarray,
    growth: np.ndarray,
    pairs: np.ndarray,
    base_cons: np.ndarray,
    offdiag: np.ndarray,
    suppliers: np.ndarray,
) -> np.ndarray:
    """Routes to importers short for longer than the delay grow by growth x base demand
    from exporters that can give (spare supply, or shipments to swappable customers: those
    that receive spare supply, are not short and feed no short importer's next stage).
    Returns the swappable shipments (B, O, Ce, Ci); ``route`` grows in place."""
    B, O, E, n_imp = ship.shape
    K = base_cons.shape[0]
    swap_base = np.zeros_like(ship)
    spare_total = np.zeros(E)
    for b in range(B):
        k = b if K > 1 else 0
        for e in range(E):
            spare_total[e] = 0.0
            for o in range(O):
                spare_total[e] += spare[b, o, e]
        swappable_to = np.zeros(n_imp, dtype=np.bool_)
        for i in range(n_imp):
            if short[b, i]:
                continue
            receives = False
            for e in range(E):
                if spare_total[e] > TINY and pairs[b, e, i] > 0 and offdiag[e, i]:
                    receives = True
                    break
            feeds_short = False
            for j in range(n_imp):
                if suppliers[k, i, j] and short[b, j]:
                    feeds_short = True
                    break
            swappable_to[i] = receives and not feeds_short
        for e in range(E):
            exported = 0.0
            for o in range(O):
                for i in range(n_imp):
                    if swappable_to[i]:
                        swap_base[b, o, e, i] = ship[b, o, e, i]
                        exported += ship[b, o, e, i]
            if not spare_total[e] + exported > TINY:
                continue
            for i in range(n_imp):
                opened = gap_age[b, s, i] > delay[b]
                if opened and short[b, i] and offdiag[e, i] and pairs[b, e, i] > 0:
                    route[b, s, e, i] += growth[b] * base_cons[k, i]
    return swap_base


@njit(cache=True)
def _swap_offer(
    swap_base: np.ndarray, spare: np.ndarray, gap: np.ndarray
) -> tuple[np.ndarray, np.ndarray, bool]:
    """(swappable (B, O, Ce), what of it may be offered: scaled to the spare supply left to
    backfill with, whether a swap can happen at all)."""
    B, O, E, n_imp = swap_base.shape
    swappable = np.zeros((B, O, E))
    offered = np.zeros((B, O, E))
    any_gap, any_spare, any_swap = gap.sum() > 0, False, False
    for b in range(B):
        backfill = spare[b].sum()
        total = 0.0
        for o in range(O):
            for e in range(E):
                x = 0.0
                for i in range(n_imp):
                    x += swap_base[b, o, e, i]
                swappable[b, o, e] = x
                total += x
        any_spare = any_spare or backfill > 0
        any_swap = any_swap or total > 0
        room = min(1.0, backfill / total) if total > TINY else 0.0
        for o in range(O):
            for e in range(E):
                offered[b, o, e] = swappable[b, o, e] * room
    return swappable, offered, any_gap and any_spare and any_swap


@njit(cache=True)
def _remove(
    ship: np.ndarray, swap_base: np.ndarray, swappable: np.ndarray, given: np.ndarray
) -> np.ndarray:
    """Take the shipments swapped away from swappable customers off ``ship`` (in place);
    returns, by importer, what they must be backfilled with (B, Ci)."""
    B, O, E, n_imp = swap_base.shape
    wanted = np.zeros((B, n_imp))
    for b in range(B):
        for o in range(O):
            for e in range(E):
                f = given[b, o, e] / swappable[b, o, e] if swappable[b, o, e] > TINY else 0.0
                for i in range(n_imp):
                    x = swap_base[b, o, e, i] * f
                    ship[b, o, e, i] -= x
                    wanted[b, i] += x
    return wanted


@njit(cache=True)
def _open(pairs: np.ndarray, capacity: np.ndarray, floor: float) -> np.ndarray:
    """pairs where the route's capacity exceeds ``floor``: pairs x 1[capacity > floor]."""
    out = np.zeros_like(pairs)
    flat_p, flat_c, flat_out = pairs.ravel(), capacity.ravel(), out.ravel()
    for n in range(flat_p.size):
        if flat_c[n] > floor:
            flat_out[n] = flat_p[n]
    return out


@njit(cache=True)
def reroute(
    ship: np.ndarray,
    spare: np.ndarray,
    gap: np.ndarray,
    gap_age: np.ndarray,
    route: np.ndarray,
    s: int,
    delay: np.ndarray,
    growth: np.ndarray,
    pairs: np.ndarray,
    pass_origin: np.ndarray,
    base_cons: np.ndarray,
    offdiag: np.ndarray,
    suppliers: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``rules.reroute``: direct purchases of spare supply on routes that open after a delay
    and grow at a bounded rate, then swaps backfilled from spare supply. ``gap_age`` (B, S, C)
    and ``route`` (B, S, Ce, Ci) are the state's arrays, updated in place at stage ``s``
    (whole arrays, so every call has one layout and numba compiles one version). Returns
    (ship, spare, gap)."""
    B, n_imp = gap.shape
    short = np.zeros((B, n_imp), dtype=np.bool_)
    any_short = False
    for b in range(B):
        for i in range(n_imp):
            if gap[b, i] > TINY:
                short[b, i] = True
                any_short = True
                gap_age[b, s, i] += 1.0
    if not any_short:
        return ship, spare, gap
    swap_base = _grow_routes(
        ship, spare, short, gap_age, route, s, delay, growth, pairs, base_cons, offdiag, suppliers
    )
    routes = route[:, s].copy()
    open_pairs = _open(pairs, routes, 0.0)
    ship = ship.copy()  # a new array: the caller's stays as it was
    d_given, d_received, d_sent = allocate_into(
        ship, spare, gap, open_pairs, pass_origin, offdiag, routes, 1
    )
    spare = _clip_sub(spare, d_given)
    gap = _clip_sub(gap, d_received)
    left = _clip_sub(routes, d_sent)
    swappable, offered, can_swap = _swap_offer(swap_base, spare, gap)
    if not can_swap:
        return ship, spare, gap
    s_ship, s_given, s_received, _ = allocate(
        offered, gap, _open(open_pairs, left, TINY), pass_origin, offdiag, left, 1
    )
    # ship - removed + swapped + backfill, in that order cell by cell (as the numpy rule)
    wanted_back = _remove(ship, swap_base, swappable, s_given)
    _add_into(ship, s_ship, 1.0)
    b_given, _, _ = allocate_into(ship, spare, wanted_back, pairs, pass_origin, offdiag, pairs, 0)
    spare = _clip_sub(spare, b_given)
    gap = _clip_sub(gap, s_received)
    return ship, spare, gap


@njit(cache=True)
def _block_sum(a: np.ndarray, lo: int, n: int) -> float:
    """sum(a[lo:lo + n]) for n <= 128 in numpy's order: in turn below 8, else eight running
    sums combined pairwise, then the rest in turn."""
    if n < 8:
        res = 0.0
        for i in range(lo, lo + n):
            res += a[i]
        return res
    r0, r1, r2, r3 = a[lo], a[lo + 1], a[lo + 2], a[lo + 3]
    r4, r5, r6, r7 = a[lo + 4], a[lo + 5], a[lo + 6], a[lo + 7]
    i = 8
    while i < n - (n % 8):
        j = lo + i
        r0 += a[j]
        r1 += a[j + 1]
        r2 += a[j + 2]
        r3 += a[j + 3]
        r4 += a[j + 4]
        r5 += a[j + 5]
        r6 += a[j + 6]
        r7 += a[j + 7]
        i += 8
    res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    while i < n:
        res += a[lo + i]
        i += 1
    return res


@njit(cache=True)
def _pairwise_sum(a: np.ndarray, lo: int, n: int) -> float:
    """sum(a[lo:lo + n]) added in numpy's order (its pairwise summation along a contiguous
    axis: blocks of up to 128 as ``_block_sum``, longer runs split in halves whose sums are
    added), so a total over importers is the one ``ship.sum(axis=3)`` gives, to the last bit.
    The halving runs on an explicit stack: numba's cache cannot reload a recursive function."""
    if n <= 128:
        return _block_sum(a, lo, n)
    starts = np.empty(64, np.int64)
    sizes = np.empty(64, np.int64)
    phase = np.zeros(64, np.int64)  # 0: left half next, 1: right half next, 2: add both
    left = np.empty(64)
    starts[0], sizes[0], top, ret = lo, n, 0, 0.0
    while top >= 0:
        size = sizes[top]
        half = size // 2
        half -= half % 8
        if size <= 128:
            ret = _block_sum(a, starts[top], size)
            top -= 1
        elif phase[top] == 0:
            phase[top] = 1
            starts[top + 1], sizes[top + 1], phase[top + 1] = starts[top], half, 0
            top += 1
        elif phase[top] == 1:
            phase[top], left[top] = 2, ret
            starts[top + 1], sizes[top + 1], phase[top + 1] = starts[top] + half, size - half, 0
            top += 1
        else:
            ret = left[top] + ret
            top -= 1
    return ret


@njit(cache=True)
def existing_customers(
    exportable: np.ndarray,
    mix: np.ndarray,
    weights: np.ndarray,
    pairs: np.ndarray,
    pass_origin: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``rules.existing_customers`` and its two sums in one pass: (ship (B, O, Ce, Ci), shipped
    by exporter (B, O, Ce), arriving without a licence delay (B, O, Ci)). Only routes with base
    trade carry a shipment, so the loops skip the (many) pairs whose flow is zero. The sums
    are added in numpy's order, so this twin gives the numpy rule's values exactly."""
    B, O, E = mix.shape
    n_imp = pass_origin.shape[2]
    K = weights.shape[0]
    ship = np.zeros((B, O, E, n_imp))
    shipped = np.zeros((B, O, E))
    arrived = np.zeros((B, O, n_imp))
    for b in range(B):
        k = b if K > 1 else 0
        for e in range(E):
            x = exportable[b, e]
            if x == 0.0:
                continue
            for i in range(n_imp):
                flow = x * weights[k, e, i] * pairs[b, e, i]
                if flow == 0.0:
                    continue
                for o in range(O):
                    ship[b, o, e, i] = mix[b, o, e] * pass_origin[b, o, i] * flow
            for o in range(O):
                row = ship[b, o, e]
                shipped[b, o, e] = _pairwise_sum(row, 0, n_imp)
                for i in range(n_imp):
                    arrived[b, o, i] += row[i]
    return ship, shipped, arrived


@njit(cache=True)
def totals(ship: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(shipped by exporter (B, O, Ce), received by importer (B, O, Ci)) of ``ship`` in one
    pass: ``rules.shipped_by_exporter`` and ``rules.arriving`` without a licence delay, added
    in numpy's order (pairwise over importers, in turn over exporters)."""
    B, O, E, n_imp = ship.shape
    shipped = np.zeros((B, O, E))
    arrived = np.zeros((B, O, n_imp))
    for b in range(B):
        for o in range(O):
            for e in range(E):
                row = ship[b, o, e]
                shipped[b, o, e] = _pairwise_sum(row, 0, n_imp)
                for i in range(n_imp):
                    arrived[b, o, i] += row[i]
    return shipped, arrived


@njit(cache=True)
def _ratio(a: float, b: float) -> float:
    """``state.safe_div`` of two numbers: a / b where b > TINY, else 0 (a / inf)."""
    return a / b if b > TINY else a / np.inf


@njit(cache=True)
def use_and_release(
    held: np.ndarray,
    pile: np.ndarray,
    total: np.ndarray,
    pile_now: np.ndarray,
    demand: np.ndarray,
    pile_start: np.ndarray,
    trigger: np.ndarray,
    rate: np.ndarray,
    floor: np.ndarray,
    drawn: np.ndarray,
    released: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """``rules.use_and_release`` in one pass over (B, C), given the totals over origins of
    stock and stockpile (``rules.by_origin_total``: numpy's order of addition, which depends
    on the layout) and the arrays to write (drawn, released) (B, O, C) into, laid out as the
    numpy rule's results are (as ``held`` and ``pile``: later sums follow the layout). Each
    value is computed in the numpy rule's order, so the twin gives its values exactly.
    Returns (use, release) (B, C)."""
    B, O, C = held.shape
    use = np.empty((B, C))
    release = np.empty((B, C))
    for b in range(B):
        for c in range(C):
            want = demand[b, c]
            u = want if want <= total[b, c] else total[b, c]
            beyond = (want - u) - trigger[b, c] * want
            beyond = beyond if beyond >= 0.0 else 0.0
            room = pile_now[b, c] - floor[b, c] * pile_start[b, c]
            room = room if room >= 0.0 else 0.0
            limit = rate[b, c] * pile_start[b, c]
            limit = limit if limit <= room else room
            r = beyond if beyond <= limit else limit
            use[b, c], release[b, c] = u, r
            used, freed = _ratio(u, total[b, c]), _ratio(r, pile_now[b, c])
            for o in range(O):
                drawn[b, o, c] = held[b, o, c] * used
                released[b, o, c] = pile[b, o, c] * freed
    return use, release


@njit(cache=True)
def spare_supply(
    exportable: np.ndarray,
    mix: np.ndarray,
    shipped: np.ndarray,
    held: np.ndarray,
    held_total: np.ndarray,
    stock0: np.ndarray,
    residue: float,
) -> np.ndarray:
    """``rules.spare_supply`` in one pass over (B, C), given the stock's total over origins
    (``rules.by_origin_total``), in the numpy rule's order, so the twin gives its values
    exactly: (B, O, Ce) supply others may bid for."""
    B, O, C = held.shape
    spare = np.empty((B, O, C))
    for b in range(B):
        for c in range(C):
            excess = held_total[b, c] - stock0[b, c]
            level = stock0[b, c] if stock0[b, c] >= 1.0 else 1.0
            if not excess > residue * level:
                excess = 0.0
            share = _ratio(excess, held_total[b, c])
            for o in range(O):
                unshipped = exportable[b, c] * mix[b, o, c] - shipped[b, o, c]
                unshipped = unshipped if unshipped >= 0.0 else 0.0
                spare[b, o, c] = unshipped + held[b, o, c] * share
    return spare
