"""The plan as a two-stage stochastic linear program, built with linopy and solved by HiGHS.

First stage (the same in every scenario): ``stock[holder, node]``, tonnes bought now, by each
member (national) and by the coalition (``joint``). Second stage (per scenario w and quarter
p): draws from the member's own stock and from the joint one, and the shortfall left:

    own[m, n, p, w] + joint[m, n, p, w] + short[m, n, p, w] = gap[w, m, n, p]
    sum_p own[m, n, p, w] <= stock[m, n]          (a national stock serves its member)
    sum_m,p joint[m, n, p, w] <= stock[joint, n]  (the joint stock serves every member)

with the cap on each member's cumulative shortfall as a share of its demand, in every
scenario (``worst``), on average (``expected``) or on the conditional mean of the worst tail
(``cvar``, ``define_cap``):

    sum_p short[m, n, p, w] <= cap x sum_p demand[m, n, p]

and, with candidate plants (``projects.py``), ``build[project]`` in [0, 1] and what each
built plant makes for the members (``made``, added to the fill), within its capacity online
that quarter times the share of it the engine found it could use. The cost: holding the
stock over the horizon (price x carrying rate + storage, per year), the plants' capital
charge, plus the probability-weighted cost of the shortfall left (price x shortfall cost
multiple). Stocks are bought at the base-year price outside China and never refilled within
the horizon. Each family of variables or constraints has its own ``define_*`` function.
"""

from __future__ import annotations

from dataclasses import dataclass

import linopy
import numpy as np
import xarray as xr

from oreshock.plan.gaps import PERIOD_MONTHS, Gaps
from oreshock.plan.projects import Project, capital_charge

JOINT = "joint"


@dataclass(frozen=True)
class Costs:
    """What holding and missing cost: carrying rate per year (share of the stock's value),
    storage in USD per tonne-year, and the cost of a tonne short as a multiple of its price."""

    carrying_rate: float = 0.08
    storage_usd_t_yr: float = 200.0
    shortfall_multiple: float = 2.0
    # The most the coalition can buy for its stockpiles each month, as a share of the world's
    # base-year output of the product (None: any amount at once, the stock in place from the
    # start). With a limit, stocks are bought quarter by quarter, the same in every scenario,
    # and a member can draw only what has been bought by then.
    buy_rate: float | None = None


def arrays(gaps: Gaps) -> dict[str, xr.DataArray]:
    """The gaps as labelled arrays: gap (scenario, member, node, period), demand (member,
    node, period), price (node)."""
    coords = {
        "scenario": np.arange(gaps.short.shape[0]),
        "member": list(gaps.members),
        "node": gaps.nodes,
        "period": np.arange(gaps.short.shape[3]),
    }
    gap = xr.DataArray(gaps.short, coords=coords, dims=list(coords))
    demand = xr.DataArray(
        gaps.demand, coords={k: coords[k] for k in ("member", "node", "period")},
        dims=["member", "node", "period"],
    )  # fmt: skip
    price = xr.DataArray(gaps.price, coords={"node": gaps.nodes}, dims=["node"])
    output = xr.DataArray(gaps.output, coords={"node": gaps.nodes}, dims=["node"])
    return {"gap": gap, "demand": demand, "price": price, "output": output}


def define_stocks(m: linopy.Model, data: dict[str, xr.DataArray]) -> linopy.Variable:
    holders = [*data["demand"].coords["member"].values.tolist(), JOINT]
    coords = [holders, data["price"].coords["node"].values.tolist()]
    return m.add_variables(lower=0, coords=coords, dims=["holder", "node"], name="stock")


def define_draws(m: linopy.Model, gap: xr.DataArray) -> tuple[linopy.Variable, ...]:
    own = m.add_variables(lower=0, coords=gap.coords, name="own")
    joint = m.add_variables(lower=0, coords=gap.coords, name="joint")
    short = m.add_variables(lower=0, coords=gap.coords, name="short")
    return own, joint, short


def define_balance(m: linopy.Model, own, joint, short, gap: xr.DataArray, made=None) -> None:
    filled = own + joint + short if made is None else own + joint + made.sum("project") + short
    m.add_constraints(filled == gap, name="fill")


@dataclass(frozen=True)
class Plants:
    """Candidate plants and, per plant, scenario and quarter, the share of its online
    capacity it can use (1 until the engine has run the plan: a plant short of feed makes
    less than it could)."""

    projects: list[Project]
    usable: np.ndarray  # [J, W, P]

    @classmethod
    def full(cls, projects: list[Project], scenarios: int, periods: int) -> Plants:
        return cls(projects, np.ones((len(projects), scenarios, periods)))


def define_plants(m: linopy.Model, gap: xr.DataArray, plants: Plants):
    """``build[project]`` in [0, 1], the share of each plant built now (continuous: a plan
    may build part of one), and ``made[project, ...]`` what it supplies each member at each
    node, scenario and quarter: only at the products it makes, at most its built capacity
    online that quarter."""
    ids = [p.project_id for p in plants.projects]
    build = m.add_variables(lower=0, upper=1, coords=[ids], dims=["project"], name="build")
    makes = np.array([[n in p.nodes for n in gap.coords["node"].values] for p in plants.projects])
    upper = xr.DataArray(np.where(makes, np.inf, 0.0), coords={"project": ids,
                         "node": gap.coords["node"]}, dims=["project", "node"])  # fmt: skip
    upper = upper.broadcast_like(gap)
    made = m.add_variables(lower=0, upper=upper, name="made")
    periods = gap.sizes["period"]
    online = np.stack([p.quarterly(periods) for p in plants.projects])
    limit = xr.DataArray(online[:, None, :] * plants.usable, coords={"project": ids,
                         "scenario": gap.coords["scenario"], "period": gap.coords["period"]},
                         dims=["project", "scenario", "period"])  # fmt: skip
    m.add_constraints(made.sum(["member", "node"]) <= build * limit, name="plant_capacity")
    return build, made


def define_stock_use(m: linopy.Model, stock, own, joint) -> None:
    national = stock.sel(holder=own.coords["member"].values).rename(holder="member")
    m.add_constraints(own.sum("period") <= national, name="own_stock")
    m.add_constraints(
        joint.sum(["period", "member"]) <= stock.sel(holder=JOINT), name="joint_stock"
    )


def define_purchases(m: linopy.Model, stock, own, joint, data, buy_rate: float):
    """``buy[holder, node, period]``: the stocks bought quarter by quarter (the same in every
    scenario), together at most ``buy_rate`` x world output a month; by the end of each
    quarter a stock has given no more than has been bought into it."""
    gap = data["gap"]
    coords = [stock.coords["holder"].values, gap.coords["node"].values, gap.coords["period"].values]
    buy = m.add_variables(lower=0, coords=coords, dims=["holder", "node", "period"], name="buy")
    m.add_constraints(buy.sum("period") - stock == 0, name="bought")
    limit = buy_rate * data["output"] / 12.0 * PERIOD_MONTHS
    m.add_constraints(buy.sum("holder") <= limit, name="buy_limit")
    members = own.coords["member"].values
    national = buy.sel(holder=members).rename(holder="member").cumsum("period")
    m.add_constraints(own.cumsum("period") - national <= 0, name="own_in_time")
    pooled = buy.sel(holder=JOINT).cumsum("period")
    m.add_constraints(joint.sum("member").cumsum("period") - pooled <= 0, name="joint_in_time")
    return buy


@dataclass(frozen=True)
class Risk:
    """How the cap must hold over the scenarios: in every one (``worst``), on average
    (``expected``), or on the mean of the worst (1 - alpha) share of them (``cvar``)."""

    kind: str = "worst"
    alpha: float = 0.9


def define_cap(
    m: linopy.Model, short, demand: xr.DataArray, cap: float, risk: Risk, elastic: bool = False
) -> None:
    """Each member's cumulative shortfall at each node within cap x its demand there.

    For ``cvar`` (Rockafellar and Uryasev's linear form): eta + sum_w z_w / ((1 - alpha) W)
    <= cap x demand with z_w >= shortfall_w - eta, z_w >= 0; eta is then the alpha-quantile
    of the shortfall and the left side its conditional mean beyond it."""
    allowed = cap * demand.sum("period")
    used = short.sum("period")
    if risk.kind == "expected":
        used = used.sum("scenario") / short.sizes["scenario"]
    if risk.kind == "cvar":
        coords = {"member": used.coords["member"].values, "node": used.coords["node"].values}
        eta = m.add_variables(coords=coords, dims=["member", "node"], name="var_level")
        excess = m.add_variables(lower=0, coords=used.coords, name="tail_excess")
        m.add_constraints(excess - used + eta >= 0, name="tail")
        scenarios = short.sizes["scenario"]
        used = eta + excess.sum("scenario") / ((1.0 - risk.alpha) * scenarios)
    if elastic:
        over = m.add_variables(lower=0, coords=used.coords, name="over")
        used = used - over
    m.add_constraints(used <= allowed, name="cap")


def holding_cost(price, costs: Costs, periods):
    """USD per tonne held over ``periods`` quarters: the stock's value x carrying rate plus
    storage, per year (``price`` and ``periods`` numbers or arrays)."""
    return (price * costs.carrying_rate + costs.storage_usd_t_yr) * periods * PERIOD_MONTHS / 12.0


def define_objective(
    m: linopy.Model, stock, short, data, costs: Costs, plants=None, buy=None
) -> None:
    """Holding from purchase to the horizon's end (the whole horizon when stocks are bought
    at once), the plants' capital charge, and the mean cost of the shortfall left."""
    price = data["price"]
    periods = data["gap"].sizes["period"]
    missing = price * costs.shortfall_multiple / data["gap"].sizes["scenario"]
    # Where a national stock and the joint one would serve alike (they cost the same to
    # hold), take the joint one: a tie-break of one part in a million, so the split between
    # the two is not the solver's arbitrary pick, and the pool any short member can draw on
    # is as large as the plan allows.
    holders = stock.coords["holder"].values
    tie = xr.DataArray(np.where(holders == JOINT, 1.0 - 1e-6, 1.0), coords={"holder": holders},
                       dims=["holder"])  # fmt: skip
    if buy is None:
        cost = (stock * (holding_cost(price, costs, periods) * tie)).sum()
    else:
        held = periods - data["gap"].coords["period"]  # quarters from purchase to the end
        cost = (buy * (holding_cost(price, costs, held) * tie)).sum()
    cost = cost + (short * missing).sum()
    if "over" in m.variables:  # elastic: exceeding a cap costs far more than anything else
        cost = cost + m.variables["over"].sum() * float(price.max()) * 1e3
    if plants is not None:
        build, projects = plants
        charge = xr.DataArray(
            [capital_charge(p, costs.carrying_rate, periods) for p in projects],
            coords={"project": [p.project_id for p in projects]},
            dims=["project"],
        )
        cost = cost + (build * charge).sum()
    m.add_objective(cost)


def build(
    gaps: Gaps,
    cap: float,
    risk: Risk,
    costs: Costs,
    plants: Plants | None = None,
    elastic: bool = False,
) -> linopy.Model:
    """The program; ``elastic`` lets each cap row be exceeded at a price (``over``), to
    find out where an infeasible cap binds."""
    data = arrays(gaps)
    m = linopy.Model()
    stock = define_stocks(m, data)
    own, joint, short = define_draws(m, data["gap"])
    made = None
    built = None
    if plants is not None and plants.projects:
        build_share, made = define_plants(m, data["gap"], plants)
        built = (build_share, plants.projects)
    define_balance(m, own, joint, short, data["gap"], made)
    buy = None
    if costs.buy_rate is None:
        define_stock_use(m, stock, own, joint)
    else:
        buy = define_purchases(m, stock, own, joint, data, costs.buy_rate)
    define_cap(m, short, data["demand"], cap, risk, elastic)
    define_objective(m, stock, short, data, costs, built, buy)
    return m
