"""The inventory-constrained dynamic measure, in the tradition of the adaptive regional
input-output model (ARIO: Hallegatte 2008, 2013; Guan et al. 2020's order mechanism).

Each industry holds stocks of its inputs by product (goods only; services, utilities and
construction cannot be stocked and never bind). Every step it produces the least of what is
ordered from it, what its capacity allows (cut by the mineral shortfall), and what its input
stocks allow; an input whose stock falls below ``psi`` of its target cuts production in
proportion. Short suppliers ration every customer in proportion to its order. Customers order
what their production uses plus a part of the gap to their target stocks, so stocks rebuild
after the shock and production recovers. Lost output is never made up later (no
overproduction), so the loss of every month is between zero and the month's output.

Defaults follow the ARIO literature's usual values (BoARIO's documented defaults: inventories
of 90 days of use, psi = 0.8, restoration over 60 days); they are assumptions with a range,
listed in docs/model.md.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from oreshock.impact.tables import IOTable

NOT_STOCKABLE = re.compile(
    r"servic|trade|transport|electric(ity)?$|utilit|construct|other$|financ|public|health",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Dynamics:
    """Parameters of the dynamic measure (assumed; ranges in docs/model.md)."""

    inventory_months: float = 3.0  # target input stocks, months of use (60-120 days)
    psi: float = 0.8  # share of the target below which an input cuts production (0.5-1)
    restoration_months: float = 2.0  # months to close a stock gap (1-6)
    steps_per_month: int = 6

    def check(self) -> None:
        if not (self.inventory_months > 0 and 0 < self.psi <= 1 and self.restoration_months > 0):
            raise ValueError(
                "dynamic impact: expected inventory_months > 0, 0 < psi <= 1 and "
                f"restoration_months > 0, got {self}"
            )
        if self.steps_per_month < 1:
            raise ValueError("dynamic impact: steps_per_month must be at least 1")


def stockable(table: IOTable, listed: list[str] | None = None) -> np.ndarray:
    """Which products [P] can be held in stock: the table's list where it gives one, else the
    goods (a sector whose id does not read as a service, utility or construction)."""
    if listed is not None:
        return np.array([s in listed for s in table.sectors])
    return np.array([not NOT_STOCKABLE.search(s) for s in table.sectors])


def simulate(
    table: IOTable,
    direct: np.ndarray,
    params: Dynamics | None = None,
    goods: np.ndarray | None = None,
) -> np.ndarray:
    """Monthly output lost [T, n] when ``direct`` [T, n] (table units per month) is the output
    the mineral shortfall makes impossible."""
    p = params or Dynamics()
    p.check()
    T, n = direct.shape
    if not np.any(direct > 0):
        return np.zeros_like(direct)
    x0 = table.x / 12.0
    product = table.sector_of()
    P = len(table.sectors)
    onehot = np.zeros((P, n))
    onehot[product, np.arange(n)] = 1.0
    Z0 = table.Z / 12.0
    by_product = onehot @ Z0  # [P, n] inputs of each product per month
    inv_x0 = np.divide(1.0, x0, out=np.zeros_like(x0), where=x0 > 0)
    a = by_product * inv_x0[None, :]
    share = np.divide(Z0, by_product[product], out=np.zeros_like(Z0), where=by_product[product] > 0)
    final = table.final.sum(axis=1) / 12.0
    held = (goods if goods is not None else stockable(table))[:, None] & (by_product > 0)
    target = p.inventory_months * by_product
    stock = target.copy()
    orders = Z0.copy()  # placed in the step before: the base year's flows
    demand = orders.sum(axis=1) + final
    dt = 1.0 / p.steps_per_month
    capacity_share = 1.0 - np.clip(direct * inv_x0[None, :], 0.0, 1.0)
    lost = np.zeros_like(direct)
    for month in range(T):
        capacity = x0 * capacity_share[month]
        for _ in range(p.steps_per_month):
            ratio = np.where(held, stock / (p.psi * np.where(held, target, 1.0)), np.inf)
            feasible = x0 * np.minimum(1.0, ratio.min(axis=0))
            made = np.minimum(np.minimum(demand, capacity), feasible)
            made = np.where(np.abs(made - x0) <= 1e-12 * x0, x0, made)
            filled = np.divide(made, demand, out=np.ones_like(made), where=demand > 0)
            received = onehot @ (orders * np.minimum(filled, 1.0)[:, None])
            stock = np.where(held, stock + dt * (received - a * made[None, :]), stock)
            gap = np.where(held, np.maximum(target - stock, 0.0), 0.0)
            orders = share * (a * made[None, :] + gap / p.restoration_months)[product]
            demand = orders.sum(axis=1) + final
            lost[month] += dt * (x0 - made)
    return np.clip(lost, 0.0, x0[None, :])
