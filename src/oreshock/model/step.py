"""One month of the engine: the rules of ``rules.py`` called in a fixed, numbered order.

``step(state, inputs, consts, t, run)`` first works out what the scenario sets for month t
(production targets, demand, the trade policy in force), then, for each stage in chain order
(so material made upstream this month can feed the next stage):

1. Production: the first stage produces its target (base output x availability + new
   capacity, plus spare capacity when its region's price index is up); later stages turn the input
   drawn in the previous stage into output (x yield). Up to the origin stage, output takes
   the producing country as origin; later it keeps its inputs' origins. Recycling adds
   secondary output.
2. Home first: a producer keeps up to its base home share of its demand, the rest is
   exportable.
3. Existing customers: exportable supply goes to importers in proportion to base-year
   trade shares, after export bans and quotas (per exporter -> importer) and re-export
   controls (per origin -> importer). Blocked supply stays home as stock and becomes spare;
   held licence orders, when approved, ship from it (catch-up).
4. Sharing agreements: members reserve a share of their exports (and their spare) for
   members whose supply falls short of demand, ahead of other customers.
5. Rerouting: importers still short bid for spare supply elsewhere, in proportion to their
   gaps; a new route opens after a delay and grows by at most a share of the importer's base
   demand per month.
6. Shipping: shipments subject to a licence delay arrive months later (in transit).
7. Use: demand (final use + input to the next stage) is met from stock; national stockpiles
   cover the shortfall beyond a tolerated share (trigger), at most a rate a month and never
   below a floor, then joint stockpiles (one pool whose parts its members store) cover what
   is still short, by the same kind of rule over the pool; the rest is shortfall. Input drawn feeds step 1 of the next stage.

and after all stages:

8. Market: the price index of each region (inside and outside China) moves toward the price
   that clears the month's availability (stock left plus use, against demand and normal
   stock cover), and the months of sustained shortfall that drive substitution are counted.

Mass balance holds at every node and step: the change in stock + stockpile equals
production + imports - exports - consumption + the net transfer from joint stockpiles, and world exports equal world imports plus the
change in material in transit.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import ModuleType

import numpy as np

from oreshock.core.options import get_option
from oreshock.model import rules
from oreshock.model.allocation import Allocator, allocate_by_gap
from oreshock.model.compile import ChainInputs
from oreshock.model.record import ChainRun
from oreshock.model.state import ChainConstants, ChainState, safe_div


@dataclass(frozen=True)
class TradePolicy:
    """The bans, quotas and re-export controls in force, per stage: what a set of active
    windows lets through. Months with the same windows active share one (``trade_policy``),
    so the arrays are built and laid out for the kernels once per change of policy."""

    pairs: list[np.ndarray]  # per stage (B, Ce, Ci) share of each route let through
    origin: list[np.ndarray]  # per stage (B, O, Ci) share of each origin an importer may receive
    catch_up: bool  # a route ships above its base share (licensing catch-up)

    @classmethod
    def of(
        cls, inputs: ChainInputs, t: int, stages: int, countries: int, origins: int
    ) -> TradePolicy:
        B = inputs.batch
        pairs = rules.allowed_share(inputs.export_cut, t, (B, stages, countries, countries))
        origin = rules.allowed_share(inputs.origin_cut, t, (B, stages, countries, origins))
        return cls(
            pairs=[np.ascontiguousarray(pairs[:, s]) for s in range(stages)],
            origin=[np.ascontiguousarray(origin[:, s].transpose(0, 2, 1)) for s in range(stages)],
            catch_up=bool(pairs.max() > 1.0 + 1e-12),
        )


def trade_policy(
    inputs: ChainInputs, t: int, stages: int, countries: int, origins: int
) -> TradePolicy:
    """The trade policy of month t, kept in ``inputs.policies`` under the windows active."""
    key = (
        tuple(w.active(t) for w in inputs.export_cut),
        tuple(w.active(t) for w in inputs.origin_cut),
    )
    policy = inputs.policies.get(key)
    if policy is None:
        policy = inputs.policies[key] = TradePolicy.of(inputs, t, stages, countries, origins)
    return policy


@dataclass(frozen=True)
class MonthDrivers:
    """What the scenario and last month's market set for month t, before the stage loop."""

    target: np.ndarray  # (B, C, S) production aimed at
    final: np.ndarray  # (B, C, S) final use wanted
    need_input: np.ndarray  # (B, C, S) input wanted by the next stage
    demand: np.ndarray  # (B, C, S) final + input
    policy: TradePolicy  # the bans, quotas and re-export controls in force
    delay: np.ndarray  # (S, Ce, Ci) licence delay, months
    reserve: np.ndarray  # (B, C) share reserved by sharing members
    need_external: np.ndarray | None = None  # (B, C, S) input wanted by other chains' recipes


def month_drivers(
    state: ChainState, inputs: ChainInputs, consts: ChainConstants, t: int
) -> MonthDrivers:
    """Targets, demand and the policies in force in month t."""
    B = inputs.batch
    _, C, S = consts.base_prod.shape
    O = consts.own.shape[0]
    target = rules.production_target(inputs, consts, state.supply_price, t)
    final = rules.final_demand(inputs, consts, state.demand_price, state.short_age, t)
    need_input = rules.input_demand(target, consts.yields)
    return MonthDrivers(
        target=target,
        final=final,
        need_input=need_input,
        demand=final + need_input,
        policy=trade_policy(inputs, t, S, C, O),
        delay=rules.licence_delay(inputs, t, S, C),
        reserve=rules.sharing_reserve(inputs, t, B, C),
    )


def step(
    state: ChainState,
    inputs: ChainInputs,
    consts: ChainConstants,
    t: int,
    run: ChainRun,
    allocate: Allocator = allocate_by_gap,
) -> None:
    """Advance ``state`` by month t and record the month into ``run`` (steps 1-8)."""
    drivers = month_drivers(state, inputs, consts, t)
    step_with(state, inputs, consts, t, run, allocate, drivers, None)


def step_with(
    state: ChainState,
    inputs: ChainInputs,
    consts: ChainConstants,
    t: int,
    run: ChainRun,
    allocate: Allocator,
    drivers: MonthDrivers,
    feed: np.ndarray | None,
) -> dict[int, np.ndarray]:
    """Steps 1-8 with the month's drivers given (a linked group adds its recipes' needs), and
    ``feed`` (B, O, C), what a recipe lets the first stage make. Returns, per stage that other
    chains' recipes draw on, the input handed to them (B, O, C)."""
    assert run.final_use is not None
    run.final_use[t] = drivers.final
    carried = feed
    handed: dict[int, np.ndarray] = {}
    compiled = _compiled_kernels(allocate)  # the option is read once a month, not per stage
    for s in range(consts.stages):
        carried, external = step_stage(
            state, inputs, consts, drivers, t, s, carried, run, allocate, compiled
        )
        if external is not None:
            handed[s] = external
    shortfall, demand = run.series["shortfall"][t], run.series["demand"][t]
    k, served = rules.market_signals(
        run.series["stock"][t],
        run.series["consumption"][t],
        demand,
        state.normal_cover,
        consts.region_mask,
    )
    state.price = rules.price_index(state.price, k, served, inputs)
    state.supply_price = rules.lagged_price(state.supply_price, state.price, inputs.supply_lag)
    state.demand_price = rules.lagged_price(state.demand_price, state.price, inputs.demand_lag)
    run.price[t] = state.price
    state.short_age = rules.shortfall_age(state.short_age, shortfall, demand, inputs.threshold)
    return handed


def step_stage(
    state: ChainState,
    inputs: ChainInputs,
    consts: ChainConstants,
    d: MonthDrivers,
    t: int,
    s: int,
    carried: np.ndarray | None,
    run: ChainRun,
    allocate: Allocator,
    compiled: ModuleType | None,
) -> tuple[np.ndarray | None, np.ndarray | None]:
    """Steps 1-7 at stage s, by the compiled rules where ``compiled`` is given (see
    ``_compiled_kernels``); returns the input drawn for stage s + 1 and the input drawn for
    other chains' recipes (each (B, O, C), None where there is none)."""
    demand = d.demand[:, :, s]
    made = rules.produce(d.target, carried, consts, inputs.recycling[t][:, :, s], s)  # 1
    prod = rules.by_origin_total(made)
    mix = safe_div(made, prod[:, None, :])
    home, exportable = rules.home_first(prod, consts.home_share[:, :, s], demand)  # 2
    pairs, pass_origin = d.policy.pairs[s], d.policy.origin[s]  # C-ordered for the kernels
    prompt = None if not d.delay[s].any() else (d.delay[s] == 0).astype(float)
    ship, shipped, arrived = _customers(  # 3
        compiled, exportable, mix, consts.stage_weights[s], pairs, pass_origin, prompt
    )
    if d.policy.catch_up:
        ship = rules.limit_to_holdings(ship, made, state.stock[:, s])
        shipped, arrived = rules.shipped_by_exporter(ship), rules.arriving(ship, prompt)
    spare = _spare(compiled, exportable, mix, shipped, state.stock[:, s], inputs.stock0[:, :, s])
    due = rules.take_due(state.transit, t, s)
    expected = due + arrived
    gap = np.maximum(demand - home - rules.by_origin_total(expected), 0.0)
    moved = False  # whether sharing or rerouting changed the shipments of step 3
    if (d.reserve > 0).any():  # 4
        moved = True
        if compiled is not None:
            ship, spare, gap = compiled.share_among_members(
                ship, spare, gap, d.reserve, pairs, pass_origin, consts.offdiag
            )
        else:
            ship, spare, gap = rules.share_among_members(
                ship, spare, gap, d.reserve, pairs, pass_origin, consts.offdiag, allocate
            )
    if inputs.reroute_delay is not None:  # 5
        moved = True
        ship, spare, gap = _reroute(
            compiled, ship, spare, gap, state, inputs, consts, s, pairs, pass_origin, allocate
        )
    if moved:  # (B, O, Ce) and (B, O, Ci), once: the stock, the arrivals and the record
        shipped, arrived = _totals(compiled, ship, prompt)
    arrive_now = rules.dispatch(ship, due, prompt, d.delay[s], state.transit, t, s, arrived)  # 6
    state.stock[:, s] += made - shipped + arrive_now
    use, release, drawn, released = _use(compiled, state, inputs, demand, s)  # 7
    state.stock[:, s] -= drawn
    state.pile[:, s] -= released
    out = drawn + released
    met = use + release
    transfer = None
    if (inputs.joint_pool[:, :, s] >= 0).any():  # 7, joint stockpiles
        received, received_by_origin, given = rules.joint_release(
            state.joint[:, s],
            state.joint_start[:, :, s],
            inputs.joint_pool[:, :, s],
            demand - met,
            demand,
            inputs.joint_trigger[:, :, s],
            inputs.joint_rate[:, :, s],
            inputs.joint_floor[:, :, s],
        )
        state.joint[:, s] -= given
        out = out + received_by_origin
        met = met + received
        transfer = received - rules.by_origin_total(given)
    record_stage(run, state, t, s, prod, ship, shipped, arrive_now, met, demand, transfer)
    external = None
    if d.need_external is not None and d.need_external[:, :, s].any():
        external = out * safe_div(d.need_external[:, :, s], demand)[:, None, :]
    if s + 1 == consts.stages:
        return None, external
    return out * safe_div(d.need_input[:, :, s], demand)[:, None, :], external


def _compiled_kernels(allocate: Allocator) -> ModuleType | None:
    """The compiled rules (``kernels.py``) when they apply: the default allocation rule and
    the ``kernels`` option left at ``compiled``; else None (the numpy rules)."""
    if allocate is not allocate_by_gap or get_option("kernels") != "compiled":
        return None
    from oreshock.model import kernels  # numba compiles on first use: only when running

    return kernels


def _customers(
    compiled: ModuleType | None,
    exportable: np.ndarray,
    mix: np.ndarray,
    weights: np.ndarray,
    pairs: np.ndarray,
    pass_origin: np.ndarray,
    prompt: np.ndarray | None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Step 3 with its sums: (ship (B, O, Ce, Ci), shipped by exporter (B, O, Ce), arriving
    this month (B, O, Ci)), by the compiled or the numpy rule."""
    if compiled is None:
        ship = rules.existing_customers(exportable, mix, weights, pairs, pass_origin)
        return ship, rules.shipped_by_exporter(ship), rules.arriving(ship, prompt)
    ship, shipped, arrived = compiled.existing_customers(
        *_contiguous(exportable, mix), weights, pairs, pass_origin
    )
    return ship, shipped, arrived if prompt is None else rules.arriving(ship, prompt)


def _spare(
    compiled: ModuleType | None,
    exportable: np.ndarray,
    mix: np.ndarray,
    shipped: np.ndarray,
    held: np.ndarray,
    stock0: np.ndarray,
) -> np.ndarray:
    """Spare supply (B, O, Ce) after step 3, by the compiled or the numpy rule."""
    if compiled is None:
        return rules.spare_supply(exportable, mix, shipped, held, stock0)
    total = rules.by_origin_total(held)
    return compiled.spare_supply(
        exportable, mix, shipped, held, total, stock0, rules.RELATIVE_RESIDUE
    )


def _use(
    compiled: ModuleType | None,
    state: ChainState,
    inputs: ChainInputs,
    demand: np.ndarray,
    s: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Step 7 at stage s, by the compiled or the numpy rule: (use, release) (B, C) and
    (drawn, released) (B, O, C)."""
    held, pile = state.stock[:, s], state.pile[:, s]
    rule = (
        inputs.pile_trigger[:, :, s],
        inputs.pile_rate[:, :, s],
        inputs.pile_floor[:, :, s],
    )
    if compiled is None:
        return rules.use_and_release(held, pile, demand, state.pile_start[:, :, s], *rule)
    totals = rules.by_origin_total(held), rules.by_origin_total(pile)
    drawn, released = np.empty_like(held), np.empty_like(pile)  # the numpy rule's layout
    use, release = compiled.use_and_release(
        held, pile, *totals, demand, state.pile_start[:, :, s], *rule, drawn, released
    )
    return use, release, drawn, released


def _totals(
    compiled: ModuleType | None, ship: np.ndarray, prompt: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray]:
    """(shipped by exporter (B, O, Ce), arriving this month (B, O, Ci)) of ``ship``."""
    if compiled is None or prompt is not None:
        return rules.shipped_by_exporter(ship), rules.arriving(ship, prompt)
    shipped, arrived = compiled.totals(ship)
    return shipped, arrived


def _contiguous(*arrays: np.ndarray) -> list[np.ndarray]:
    """C-ordered copies where needed, so numba compiles each kernel for one layout only."""
    return [np.ascontiguousarray(a) for a in arrays]


def _reroute(
    compiled: ModuleType | None,
    ship: np.ndarray,
    spare: np.ndarray,
    gap: np.ndarray,
    state: ChainState,
    inputs: ChainInputs,
    consts: ChainConstants,
    s: int,
    pairs: np.ndarray,
    pass_origin: np.ndarray,
    allocate: Allocator,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Step 5 at stage s, by the compiled or the numpy rule."""
    assert inputs.reroute_delay is not None and inputs.reroute_growth is not None
    if compiled is not None:
        return compiled.reroute(
            ship,
            spare,
            gap,
            state.gap_age,
            state.route,
            s,
            inputs.reroute_delay,
            inputs.reroute_growth,
            pairs,
            pass_origin,
            *consts.reroute_constants[s],
        )
    return rules.reroute(
        ship,
        spare,
        gap,
        state.gap_age[:, s],
        state.route[:, s],
        inputs,
        pairs=pairs,
        pass_origin=pass_origin,
        base_cons=consts.base_cons[:, :, s],
        offdiag=consts.offdiag,
        suppliers=consts.next_suppliers[:, s],
        allocate=allocate,
    )


def record_stage(
    run: ChainRun,
    state: ChainState,
    t: int,
    s: int,
    prod: np.ndarray,
    ship: np.ndarray,
    shipped: np.ndarray,
    arrive_now: np.ndarray,
    out: np.ndarray,
    demand: np.ndarray,
    transfer: np.ndarray | None = None,
) -> None:
    """Write stage s of month t into the run's arrays (the variables of ``RECORDED``);
    ``transfer`` (B, C) is what joint stockpiles moved to each member, net."""
    series = run.series
    series["production"][t, :, :, s] = prod
    series["exports"][t, :, :, s] = rules.by_origin_total(shipped)
    series["imports"][t, :, :, s] = rules.by_origin_total(arrive_now)
    series["consumption"][t, :, :, s] = out
    series["demand"][t, :, :, s] = demand
    series["shortfall"][t, :, :, s] = demand - out
    series["stock"][t, :, :, s] = rules.by_origin_total(state.stock[:, s])
    series["stockpile"][t, :, :, s] = rules.by_origin_total(state.pile[:, s] + state.joint[:, s])
    if transfer is not None:
        series["stockpile_transfer"][t, :, :, s] = transfer
    series["in_transit"][t, :, :, s] = state.transit[:, :, s].sum(axis=(0, 2))
    if run.flows is not None:
        run.flows[t, :, s] = ship[run.flow_rows].transpose(0, 2, 3, 1)
