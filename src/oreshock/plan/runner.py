"""``make_plan``: from a scenario's plan block to a solved, costed and shared plan.

The steps: draw the future controls, run the engine on each for the members' gaps, solve the
stochastic program, split its cost, and (for ``--caps``) solve again at each cap for the
cost-vs-cap curve. Members without demand at any priced node take no part (they would pay
nothing under every rule).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from oreshock.core.errors import ScenarioError
from oreshock.core.months import add_months
from oreshock.model.network import Network
from oreshock.model.scenario import Scenario
from oreshock.plan.gaps import Gaps, gaps_of, made_at, simulate_all
from oreshock.plan.model import JOINT, Costs, Plants, Risk, holding_cost
from oreshock.plan.projects import Project, capital_charge, usable
from oreshock.plan.refine import Drawn, Refined, refine
from oreshock.plan.sampling import controlled, draw_controls, plan_block
from oreshock.plan.solve import (
    EXACT_SHAPLEY,
    CapInfeasible,
    Mapper,
    PlanError,
    Shares,
    Solved,
    benefit_weights,
    coalition_costs,
    demand_weights,
    only,
    proportional,
    shapley_exact,
    shapley_sampled,
    solve,
)
from oreshock.plan.verify import Verified, verify

RISKS = ("worst", "expected", "cvar")
Progress = Callable[[str, float], None]


@dataclass
class Plan:
    members: tuple[str, ...]
    cap: float
    risk: str
    alpha: float | None
    scenarios: int
    total_cost_usd: float
    items: list[dict[str, Any]]
    shares: dict[str, Shares]
    standalone_cost_usd: dict[str, float]
    core_violations: dict[str, list[dict[str, Any]]]
    cap_duals: dict[str, float]
    curve: list[dict[str, float]] = field(default_factory=list)
    left_out: tuple[str, ...] = ()
    verified: Verified | None = None
    refined: Refined | None = None

    def record(self, plan_id: str | None = None) -> dict[str, Any]:
        """The JSON of ``oreshock plan --json``: fields a plan did not compute are null, and
        ``plan_id`` the id the results store gave it (null when it is not stored)."""
        return {
            "plan_id": plan_id,
            "status": "optimal",
            "members": list(self.members),
            "cap": self.cap,
            "risk": self.risk,
            "alpha": self.alpha,
            "scenarios": self.scenarios,
            "total_cost_usd": self.total_cost_usd,
            "items": self.items,
            "shares": {rule: s.usd for rule, s in self.shares.items()},
            "shapley_standard_error": self.shares["shapley"].standard_error or None,
            "standalone_cost_usd": self.standalone_cost_usd,
            "core_violations": self.core_violations,
            "cap_duals": self.cap_duals,
            "verify": None
            if self.verified is None
            else {
                "scenarios": self.verified.scenarios,
                "exceed_probability": self.verified.exceed_probability,
                "max_cumulative_shortfall_pct": self.verified.max_cumulative_shortfall_pct,
                "program_mean_shortfall_pct": self.verified.program_mean_shortfall_pct,
                "engine_mean_shortfall_pct": self.verified.engine_mean_shortfall_pct,
            },
            "scenario_file": None if self.verified is None else self.verified.scenario_file,
            "curve": self.curve,
            "refinement": None
            if self.refined is None
            else {
                "rounds": self.refined.rounds,
                "in_sample_exceed_probability": self.refined.in_sample_exceed,
            },
            "nodes_without_price": list(self.left_out),
        }


def check_request(cap: float, risk: str, scenarios: int, alpha: float = 0.9) -> None:
    if not 0 < cap <= 1:
        raise ScenarioError(f"--cap: expected a share in (0, 1], found {cap}")
    if risk not in RISKS:
        raise ScenarioError(f"--risk: expected one of {', '.join(RISKS)}, found {risk!r}")
    if not 0 <= alpha < 1:
        raise ScenarioError(f"--alpha: expected a share in [0, 1), found {alpha}")
    if scenarios < 1:
        raise ScenarioError(f"--scenarios: expected at least 1, found {scenarios}")


def check_costs(costs: Costs) -> None:
    """The assumed costs, each named by the option that sets it (NaN fails every test)."""
    if not 0 < costs.carrying_rate <= 1:
        raise ScenarioError(
            f"--carrying-rate: expected a share in (0, 1], found {costs.carrying_rate}"
        )
    if costs.buy_rate is not None and not 0 < costs.buy_rate <= 1:
        raise ScenarioError(f"--buy-rate: expected a share in (0, 1], found {costs.buy_rate}")
    for option, value in (("--storage", costs.storage_usd_t_yr),
                          ("--shortfall-multiple", costs.shortfall_multiple)):  # fmt: skip
        if not 0 <= value < float("inf"):
            raise ScenarioError(f"{option}: expected a number >= 0, found {value}")


def check_verify(verify_scenarios: int) -> None:
    if verify_scenarios < 0:
        raise ScenarioError(f"--verify: expected 0 or more scenarios, found {verify_scenarios}")


def planned_gaps(
    network: Network,
    scenario: Scenario,
    group: str,
    scenarios: int,
    seed: int,
    projects: list[Project] | None = None,
) -> tuple[Gaps, Drawn]:
    """The members' gaps in every drawn control, members without demand left out, and the
    drawn scenarios with what the candidate plants' countries make there without a plan."""
    block = plan_block(scenario)
    members = list(network.members(group))
    controls = draw_controls(block, scenarios, seed)
    drawn = [controlled(scenario, block, c) for c in controls]
    runs = simulate_all(network, drawn)
    gaps = gaps_of(runs, members)
    present = tuple(m for i, m in enumerate(gaps.members) if gaps.demand[i].sum() > 0)
    if not present:
        raise PlanError(f"no member of {group} has demand at a node with a base price")
    if gaps.short.sum() <= 0:
        raise PlanError(
            f"no member of {group} runs short in any drawn control (the commercial stocks "
            "cover them): there is nothing to plan against"
        )
    sites = {(p.country, n) for p in projects or [] for n in p.nodes if n in gaps.nodes}
    made = {site: made_at(runs, *site) for site in sites}
    return only(gaps, present), Drawn(drawn, made, [c.start for c in controls])


def _items(solved: Solved, gaps: Gaps, costs: Costs, plants: Plants, start: str) -> list:
    """The plan's stockpiles and plants, each with what it costs over the horizon."""
    periods = gaps.short.shape[3]
    out = []
    for (holder, node), tonnes in sorted(solved.stock.items()):
        price = float(gaps.price[gaps.nodes.index(node)])
        product, stage = node.split(":")
        out.append({"kind": "stockpile", "holder": holder, "country": None, "stage": stage,
                    "product": product, "quantity_t": tonnes, "start": start,
                    "cost_usd": tonnes * holding_cost(price, costs, periods)})  # fmt: skip
    for project in plants.projects:
        share = solved.build.get(project.project_id, 0.0)
        if share > 1e-4:
            out.append({"kind": project.kind, "holder": None, "country": project.country,
                        "stage": project.stage, "product": ";".join(project.products),
                        "quantity_t": share * project.capacity, "start": start,
                        "cost_usd": share * capital_charge(project, costs.carrying_rate, periods),
                        "project": project.name, "first_output": add_months(
                            start, project.lead_months)})  # fmt: skip
    return out


def _core(shares: Shares, value: dict[frozenset, float]) -> list[dict[str, Any]]:
    """Sub-coalitions whose members would pay more under the rule than their own plan
    costs, with the excess in USD (above the solver's tolerance, 1e-6 of the cost)."""
    out = []
    for s, cost in value.items():
        excess = sum(shares.usd[m] for m in s) - cost
        if s and excess > 1e-6 * cost + 1.0:
            out.append({"members": sorted(s), "excess_usd": excess})
    return sorted(out, key=lambda v: -v["excess_usd"])


def make_plan(
    network: Network,
    scenario: Scenario,
    group: str,
    cap: float,
    *,
    risk: str = "worst",
    alpha: float = 0.9,
    scenarios: int = 50,
    seed: int = 0,
    caps: list[float] | None = None,
    costs: Costs | None = None,
    progress: Progress | None = None,
    verify_scenarios: int = 0,
    write_to: Path | None = None,
    projects: list[Project] | None = None,
    mapper: Mapper | None = None,
) -> Plan:
    """Draw, solve and share the least-cost plan for ``group`` under ``cap``."""
    check_request(cap, risk, scenarios, alpha)
    measure = Risk(risk, alpha)
    for level in caps or []:
        if not 0 < level <= 1:
            raise ScenarioError(f"--caps: expected shares in (0, 1], found {level}")
    check_verify(verify_scenarios)
    costs = costs or Costs()
    check_costs(costs)
    say = progress or (lambda step, done: None)
    say("running the engine on each drawn control", 0.0)
    gaps, drawn = planned_gaps(network, scenario, group, scenarios, seed, projects)
    plants = Plants.full(usable(projects or [], gaps.nodes, gaps.short.shape[3]),
                         scenarios, gaps.short.shape[3])  # fmt: skip
    say("solving the plan and checking it in the engine on the drawn controls", 0.3)
    try:
        refined = refine(network, group, gaps, drawn, cap, measure, costs, plants)
    except CapInfeasible as exc:
        exc.starts = sorted({drawn.starts[w] for w in exc.scenarios})
        raise
    gaps, best, plants = refined.gaps, refined.solved, refined.plants
    members = gaps.members
    value: dict[frozenset, float] | None = None
    say("splitting the cost", 0.6)
    if len(members) <= EXACT_SHAPLEY:
        value = coalition_costs(gaps, cap, measure, costs, plants, mapper)
        shapley = shapley_exact(members, value)
        standalone = {m: value[frozenset({m})] for m in members}
    else:
        shapley = shapley_sampled(gaps, cap, measure, costs, seed, plants)
        standalone = {m: solve(only(gaps, (m,)), cap, measure, costs, plants).cost for m in members}
    shares = {
        "shapley": shapley,
        "demand": proportional("demand", demand_weights(gaps), best.cost),
        "benefit": proportional("benefit", benefit_weights(gaps, best), best.cost),
    }
    core = {
        rule: (
            _core(s, value)
            if value is not None
            else [
                {"members": [m], "excess_usd": s.usd[m] - standalone[m]}
                for m in members
                if s.usd[m] > standalone[m] * (1 + 1e-6) + 1.0
            ]
        )
        for rule, s in shares.items()
    }
    curve = []
    for k, level in enumerate(sorted(caps or [], reverse=True)):
        say(f"cost at cap {level}", 0.8 + 0.2 * k / max(len(caps or []), 1))
        point = solve(gaps, level, measure, costs, plants).cost
        curve.append({"cap": level, "total_cost_usd": point})
    verified = None
    if verify_scenarios:
        say(f"checking the plan in the engine on {verify_scenarios} fresh controls", 0.9)
        verified = verify(
            network,
            scenario,
            group,
            gaps,
            best,
            plants.projects,
            cap,
            verify_scenarios,
            seed,
            write_to,
        )
    say("done", 1.0)
    return Plan(
        members=members,
        cap=cap,
        risk=risk,
        alpha=alpha if risk == "cvar" else None,
        scenarios=scenarios,
        total_cost_usd=best.cost,
        items=_items(best, gaps, costs, plants, scenario.start),
        shares=shares,
        standalone_cost_usd=standalone,
        core_violations=core,
        cap_duals=best.cap_duals,
        curve=curve,
        left_out=gaps.unpriced,
        verified=verified,
        refined=refined,
    )


__all__ = ["JOINT", "Plan", "PlanError", "make_plan"]
