"""Solving a plan honestly, and what it says: the items bought, the cost by member under
three sharing rules, and the marginal cost of each member's cap.

A plan is written only when HiGHS reports it optimal; any other status is an error that
says which. Cost shares:

- ``shapley``: each member's average marginal cost over the orders in which the coalition
  could form, the cost of a sub-coalition being its own least-cost plan (exact over every
  sub-coalition for up to ``EXACT_SHAPLEY`` members, else over sampled orders with the
  standard error stated);
- ``demand``: in proportion to the value of each member's demand at the planned nodes (the
  IEA rule for oil stocks, by consumption);
- ``benefit``: in proportion to the value of the shortfall the plan avoids for each member.

For each rule: whether a member pays more than its stand-alone plan (individual
rationality) and, where every sub-coalition was solved, which sub-coalitions would pay less
alone (the core).
"""

from __future__ import annotations

import itertools
import logging
import math
import os
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from types import TracebackType
from typing import Any, Protocol, TypeVar, cast

import linopy
import numpy as np

from oreshock.core.errors import OreshockError
from oreshock.plan.gaps import Gaps
from oreshock.plan.model import Costs, Plants, Risk, arrays, build

T = TypeVar("T")
R = TypeVar("R")
EXACT_SHAPLEY = 6
SAMPLED_ORDERS = 40


class PlanError(OreshockError):
    """A plan that cannot be had: the solver found none, or the request cannot be planned."""


@dataclass(frozen=True)
class Solved:
    cost: float
    stock: dict[tuple[str, str], float]  # (holder, node) -> tonnes
    cap_duals: dict[str, float]  # member -> USD saved per percentage point the cap is raised
    left: np.ndarray  # [M, N] tonnes still short over the horizon, mean over the scenarios
    build: dict[str, float] = field(default_factory=dict)  # project -> share built
    made: dict[tuple[str, str], float] = field(default_factory=dict)  # (project, node) -> t


def only(gaps: Gaps, members: tuple[str, ...]) -> Gaps:
    """The gaps of some members only (a sub-coalition)."""
    rows = [gaps.members.index(m) for m in members]
    return replace(gaps, members=members, short=gaps.short[:, rows], demand=gaps.demand[rows],
                   shortfall=gaps.shortfall[:, rows])  # fmt: skip


@contextmanager
def _solver_quiet() -> Iterator[None]:
    """HiGHS prints its banner on the process's standard output even with output off, which
    would break ``--json``: the file descriptor is pointed at the null device meanwhile."""
    sys.stdout.flush()
    saved = os.dup(1)
    with open(os.devnull, "w") as null:
        os.dup2(null.fileno(), 1)
        try:
            yield
        finally:
            os.dup2(saved, 1)
            os.close(saved)


def run_solver(model: linopy.Model) -> tuple[str, str]:
    logging.getLogger("linopy").setLevel(logging.ERROR)  # an infeasible status is ours to say
    with _solver_quiet():
        status, condition = model.solve(solver_name="highs", output_flag=False, progress=False)
    return str(status), str(condition)


def solve(gaps: Gaps, cap: float, risk: Risk, costs: Costs, plants: Plants | None = None) -> Solved:
    model = build(gaps, cap, risk, costs, plants)
    status, condition = run_solver(model)
    if condition in ("infeasible", "infeasible_or_unbounded"):
        raise binding(gaps, cap, risk, costs, plants)
    if status != "ok" or condition != "optimal":
        raise PlanError(f"the solver found no optimal plan (status {status}, {condition})")
    stock = model.solution["stock"].to_series()
    # d cost / d cap = sum of each cap row's dual x its demand (the row's right side is
    # cap x demand); per percentage point, and positive: what a looser cap saves.
    demand = arrays(gaps)["demand"].sum("period")
    weighted = model.dual["cap"] * demand
    per_member = -weighted.sum([d for d in weighted.dims if d != "member"]).to_series() / 100
    cost = model.objective.value
    assert cost is not None  # an optimal solve has an objective value
    return Solved(
        cost=float(cost),
        stock={_key(k): float(v) for k, v in stock.items() if v > 1e-6},
        cap_duals={str(k): float(v) for k, v in per_member.items()},
        left=model.solution["short"].mean("scenario").sum("period").values,
        **_plants_built(model),
    )


class CapInfeasible(PlanError):
    """No plan keeps every member under the cap: where it binds, as the excess over the cap
    (share of demand) the least-excess plan leaves at each member and node (one such plan:
    the split of the least total need not be unique), and the scenarios in which it does."""

    def __init__(self, cap: float, over: dict[tuple[str, str], float], scenarios: list[int]):
        self.cap, self.over, self.scenarios = cap, over, scenarios
        self.starts: list[int] = []  # months to the start of those controls (set by the runner)
        worst = ", ".join(f"{m} {n} (+{100 * v:.1f} points)" for (m, n), v in over.items())
        super().__init__(
            f"no plan keeps every member under the {cap:.0%} cap at any cost: stocks cannot be "
            f"bought fast enough before the earliest controls; it binds at {worst}"
        )


def binding(
    gaps: Gaps, cap: float, risk: Risk, costs: Costs, plants: Plants | None
) -> CapInfeasible:
    """Solve with each cap row allowed to be exceeded at a prohibitive price, and report
    where it is: the least excess the program can reach at each member and node."""
    model = build(gaps, cap, risk, costs, plants, elastic=True)
    status, condition = run_solver(model)
    if status != "ok" or condition != "optimal":
        return CapInfeasible(cap, {}, [])
    over = model.solution["over"]
    demand = arrays(gaps)["demand"].sum("period")
    share = over / demand.where(demand > 0)
    by_node = share.max("scenario") if "scenario" in share.dims else share
    found = {_key(k): float(v) for k, v in by_node.to_series().items() if v > 1e-6}
    hit = (
        []
        if "scenario" not in over.dims
        else [
            int(w)
            for w in over.coords["scenario"].values
            if float(over.sel(scenario=w).sum()) > 1e-6
        ]
    )
    return CapInfeasible(cap, dict(sorted(found.items(), key=lambda kv: -kv[1])), hit)


def _plants_built(model: linopy.Model) -> dict:
    """Share of each plant built, and what it makes at each node (mean over scenarios)."""
    if "build" not in model.solution:
        return {}
    made = model.solution["made"].mean("scenario").sum(["member", "period"]).to_series()
    return {
        "build": {str(k): float(v) for k, v in model.solution["build"].to_series().items()},
        "made": {_key(k): float(v) for k, v in made.items() if v > 1e-6},
    }


def _key(index: object) -> tuple[str, str]:
    """A (holder, node) pair from the stock series' index."""
    pair = cast(tuple[object, object], index)
    return str(pair[0]), str(pair[1])


@dataclass
class Shares:
    rule: str
    usd: dict[str, float]
    standard_error: dict[str, float] = field(default_factory=dict)


class Mapper(Protocol):
    """What runs the sub-coalitions' solves: an ensemble evaluator (sequential, a local
    process pool, Dask) as the CLI makes one, seen only through these methods, so the
    planner does not depend on the ensembles' code."""

    def __enter__(self) -> Any: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    def imap_unordered(self, fn: Callable[[T], R], tasks: Iterable[T]) -> Iterator[R]: ...


CoalitionTask = tuple[Gaps, tuple[str, ...], float, Risk, Costs, "Plants | None"]


def coalition_cost(task: CoalitionTask) -> tuple[frozenset, float]:
    """One sub-coalition's least cost (a task a worker process can take: all it needs is in
    the tuple)."""
    gaps, group, cap, risk, costs, plants = task
    return frozenset(group), solve(only(gaps, group), cap, risk, costs, plants).cost


def coalition_costs(
    gaps: Gaps,
    cap: float,
    risk: Risk,
    costs: Costs,
    plants: Plants | None = None,
    mapper: Mapper | None = None,
) -> dict[frozenset, float]:
    """The least cost of every sub-coalition (the empty one costs nothing), solved one after
    another or, given a ``mapper``, on its workers."""
    groups = [g for k in range(1, len(gaps.members) + 1)
              for g in itertools.combinations(gaps.members, k)]  # fmt: skip
    tasks = [(gaps, g, cap, risk, costs, plants) for g in groups]
    if mapper is None:
        solved = [coalition_cost(task) for task in tasks]
    else:
        with mapper:
            solved = list(mapper.imap_unordered(coalition_cost, tasks))
    return {frozenset(): 0.0, **dict(solved)}


def shapley_exact(members: tuple[str, ...], value: dict[frozenset, float]) -> Shares:
    n = len(members)
    usd = {}
    for m in members:
        total = 0.0
        others = [x for x in members if x != m]
        for k in range(n):
            weight = math.factorial(k) * math.factorial(n - k - 1) / math.factorial(n)
            for group in itertools.combinations(others, k):
                s = frozenset(group)
                total += weight * (value[s | {m}] - value[s])
        usd[m] = total
    return Shares("shapley", usd)


def shapley_sampled(
    gaps: Gaps, cap: float, risk: Risk, costs: Costs, seed: int, plants: Plants | None = None
) -> Shares:
    """Marginal costs over sampled orders; the standard error of each member's mean."""
    rng = np.random.default_rng(seed)
    seen: dict[frozenset, float] = {frozenset(): 0.0}
    draws: dict[str, list[float]] = {m: [] for m in gaps.members}
    for _ in range(SAMPLED_ORDERS):
        order = list(rng.permutation(gaps.members))
        before: frozenset = frozenset()
        for m in order:
            after = before | {m}
            if after not in seen:
                seen[after] = solve(only(gaps, tuple(sorted(after))), cap, risk, costs, plants).cost
            draws[m].append(seen[after] - seen[before])
            before = after
    usd = {m: float(np.mean(v)) for m, v in draws.items()}
    se = {m: float(np.std(v, ddof=1) / math.sqrt(len(v))) for m, v in draws.items()}
    return Shares("shapley", usd, se)


def proportional(rule: str, weights: dict[str, float], total: float) -> Shares:
    whole = sum(weights.values())
    if whole <= 0:
        return Shares(rule, {m: total / len(weights) for m in weights})
    return Shares(rule, {m: total * w / whole for m, w in weights.items()})


def demand_weights(gaps: Gaps) -> dict[str, float]:
    value = (gaps.demand.sum(axis=2) * gaps.price[None, :]).sum(axis=1)
    return {m: float(v) for m, v in zip(gaps.members, value, strict=True)}


def benefit_weights(gaps: Gaps, solved: Solved) -> dict[str, float]:
    """Value of the shortfall the plan avoids per member: the gaps' value less the value of
    what the plan leaves short, both averaged over the scenarios."""
    before = gaps.short.mean(axis=0).sum(axis=2)
    avoided = ((before - solved.left) * gaps.price[None, :]).sum(axis=1)
    return {m: float(v) for m, v in zip(gaps.members, avoided, strict=True)}
