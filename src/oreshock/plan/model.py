"""The plan as a two-stage stochastic linear program, built with linopy and solved by HiGHS.

First stage (the same in every scenario): ``stock[holder, node]``, tonnes bought now, by each
member (national) and by the coalition (``joint``). Second stage (per scenario w and quarter
p): draws from the member's own stock and from the joint one, and the shortfall left:

    own[m, n, p, w] + joint[m, n, p, w] + short[m, n, p, w] = gap[w, m, n, p]
    sum_p own[m, n, p, w] <= stock[m, n]          (a national stock serves its member)
    sum_m,p joint[m, n, p, w] <= stock[joint, n]  (the joint stock serves every member)

with the cap on each member's cumulative shortfall as a share of its demand, in every
scenario (``worst``) or on average (``expected``):

    sum_p short[m, n, p, w] <= cap x sum_p demand[m, n, p]

and the cost: holding the stock over the horizon (price x carrying rate + storage, per
year) plus the probability-weighted cost of the shortfall left (price x shortfall cost
multiple). Stocks are bought at the base-year price outside China and never refilled within
the horizon. Each family of variables or constraints has its own ``define_*`` function.
"""

from __future__ import annotations

from dataclasses import dataclass

import linopy
import numpy as np
import xarray as xr

from oreshock.plan.gaps import PERIOD_MONTHS, Gaps

JOINT = "joint"


@dataclass(frozen=True)
class Costs:
    """What holding and missing cost: carrying rate per year (share of the stock's value),
    storage in USD per tonne-year, and the cost of a tonne short as a multiple of its price."""

    carrying_rate: float = 0.08
    storage_usd_t_yr: float = 200.0
    shortfall_multiple: float = 2.0


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
    return {"gap": gap, "demand": demand, "price": price}


def define_stocks(m: linopy.Model, data: dict[str, xr.DataArray]) -> linopy.Variable:
    holders = [*data["demand"].coords["member"].values.tolist(), JOINT]
    coords = [holders, data["price"].coords["node"].values.tolist()]
    return m.add_variables(lower=0, coords=coords, dims=["holder", "node"], name="stock")


def define_draws(m: linopy.Model, gap: xr.DataArray) -> tuple[linopy.Variable, ...]:
    own = m.add_variables(lower=0, coords=gap.coords, name="own")
    joint = m.add_variables(lower=0, coords=gap.coords, name="joint")
    short = m.add_variables(lower=0, coords=gap.coords, name="short")
    return own, joint, short


def define_balance(m: linopy.Model, own, joint, short, gap: xr.DataArray) -> None:
    m.add_constraints(own + joint + short == gap, name="fill")


def define_stock_use(m: linopy.Model, stock, own, joint) -> None:
    national = stock.sel(holder=own.coords["member"].values).rename(holder="member")
    m.add_constraints(own.sum("period") <= national, name="own_stock")
    m.add_constraints(
        joint.sum(["period", "member"]) <= stock.sel(holder=JOINT), name="joint_stock"
    )


def define_cap(m: linopy.Model, short, demand: xr.DataArray, cap: float, risk: str) -> None:
    allowed = cap * demand.sum("period")
    used = short.sum("period")
    if risk == "expected":
        used = used.sum("scenario") / short.sizes["scenario"]
    m.add_constraints(used <= allowed, name="cap")


def holding_cost(price, costs: Costs, periods: int):
    """USD per tonne held over ``periods`` quarters: the stock's value x carrying rate plus
    storage, per year (``price`` a number or an array of USD/t)."""
    return (price * costs.carrying_rate + costs.storage_usd_t_yr) * periods * PERIOD_MONTHS / 12.0


def define_objective(m: linopy.Model, stock, short, data, costs: Costs) -> None:
    price = data["price"]
    holding = holding_cost(price, costs, data["gap"].sizes["period"])
    missing = price * costs.shortfall_multiple / data["gap"].sizes["scenario"]
    m.add_objective((stock * holding).sum() + (short * missing).sum())


def build(gaps: Gaps, cap: float, risk: str, costs: Costs) -> linopy.Model:
    data = arrays(gaps)
    m = linopy.Model()
    stock = define_stocks(m, data)
    own, joint, short = define_draws(m, data["gap"])
    define_balance(m, own, joint, short, data["gap"])
    define_stock_use(m, stock, own, joint)
    define_cap(m, short, data["demand"], cap, risk)
    define_objective(m, stock, short, data, costs)
    return m
