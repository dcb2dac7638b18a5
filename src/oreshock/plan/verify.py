"""Checking a plan in the rule-based engine on fresh controls, and writing it as a scenario.

The program sees each control through gaps read stage by stage; the engine sees the whole
chain. The plan's stockpiles become the scenario's ``buffers.stockpiles``: national ones as
months of each member's base demand at each node, the joint one as a joint stockpile of the
group (one pool its members store parts of and all draw on), each released at any rate once
a member runs short. M controls are drawn with another seed than the plan's, run, and each
member's cumulative shortfall at each node compared with the cap (against the demand the plan
was made for): the share of controls in which some node of a member exceeds it, and the
largest shortfall seen.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from oreshock.core.atomic import write_text
from oreshock.core.months import add_months
from oreshock.model.network import Network
from oreshock.model.scenario import Scenario
from oreshock.plan.gaps import Gaps, scenario_gaps
from oreshock.plan.model import JOINT
from oreshock.plan.projects import Project
from oreshock.plan.sampling import Control, controlled, draw_controls, plan_block
from oreshock.plan.solve import Solved


@dataclass(frozen=True)
class Verified:
    scenarios: int
    exceed_probability: dict[str, float]
    max_cumulative_shortfall_pct: dict[str, float]
    scenario_file: str | None
    # Per member, at its node with the most: the mean cumulative shortfall (% of demand) the
    # program expected on its own controls, and the one the engine gives on the fresh ones.
    program_mean_shortfall_pct: dict[str, float] = field(default_factory=dict)
    engine_mean_shortfall_pct: dict[str, float] = field(default_factory=dict)


def _monthly_demand(network: Network, node: str, countries: tuple[str, ...]) -> float:
    """Base-year tonnes a month the countries use at a node (the measure the engine sizes
    ``months_of_demand`` by)."""
    mineral, stage = node.split(":")
    chain = network.chains[mineral]
    s = chain.stages.index(stage)
    rows = [chain.countries.index(c) for c in countries if c in chain.countries]
    return float(chain.consumption[rows, s].sum()) / 12.0


def _entry(holder: str, node: str, months: float, *, joint: bool) -> dict[str, Any]:
    mineral, stage = node.split(":")
    entry: dict[str, Any] = {"holder": holder, "minerals": [mineral], "stages": [stage]}
    if joint:
        entry["joint"] = True
    return {**entry, "months_of_demand": round(months, 4), "trigger": 0.0, "rate": 1.0,
            "floor": 0.0}  # fmt: skip


def stockpile_entries(
    network: Network, group: str, gaps: Gaps, stock: dict[tuple[str, str], float]
) -> list[dict[str, Any]]:
    """``buffers.stockpiles`` entries: each member's own stock as months of its base demand
    at the node, and the joint stock as one pool of the group (``joint: true``), its months
    of the group's demand, so its parts are stored by the members as they use the product."""
    entries = []
    everyone = network.members(group)
    for node in gaps.nodes:
        for member in gaps.members:
            tonnes, monthly = (
                stock.get((member, node), 0.0),
                _monthly_demand(network, node, (member,)),
            )
            if tonnes > 1e-6 and monthly > 0:
                entries.append(_entry(member, node, tonnes / monthly, joint=False))
        tonnes, monthly = stock.get((JOINT, node), 0.0), _monthly_demand(network, node, everyone)
        if tonnes > 1e-6 and monthly > 0:
            entries.append(_entry(group, node, tonnes / monthly, joint=True))
    return entries


def plant_entries(
    projects: list[Project], solved: Solved, start: str, network: Network
) -> dict[str, list[dict[str, Any]]]:
    """``responses.new_capacity`` and ``responses.recycling`` entries: each plant the plan
    builds, its built capacity split among its products as the plan uses it (evenly where it
    uses none), decided at the scenario's start; a recycler as secondary supply of its
    capacity over its country's base consumption, from its first output."""
    out: dict[str, list[dict[str, Any]]] = {"new_capacity": [], "recycling": []}
    for project in projects:
        share = solved.build.get(project.project_id, 0.0)
        if share <= 1e-4:
            continue
        used = np.array([solved.made.get((project.project_id, n), 0.0) for n in project.nodes])
        split = used / used.sum() if used.sum() > 0 else np.full(len(used), 1 / len(used))
        for product, part in zip(project.products, split, strict=True):
            tonnes = share * project.capacity * float(part)
            if tonnes <= 1e-6:
                continue
            if project.kind == "recycling":
                out["recycling"].append(_recycler(project, product, tonnes, start, network))
            else:
                out["new_capacity"].append({"name": f"{project.name} ({product})",
                                            "country": project.country, "mineral": product,
                                            "stage": project.stage, "capacity": round(tonnes, 3),
                                            "start": start, "lead_months": project.lead_months,
                                            "ramp_months": project.ramp_months})  # fmt: skip
    return out


def _recycler(project: Project, product: str, tonnes: float, start: str, network: Network):
    """A recycler as ``responses.recycling``: its output over its country's base use."""
    monthly = _monthly_demand(network, f"{product}:{project.stage}", (project.country,))
    rate = min(tonnes / 12.0 / monthly, 1.0) if monthly > 0 else 0.0
    return {"countries": [project.country], "mineral": product, "stage": project.stage,
            "rate": round(rate, 6), "start": add_months(start, project.lead_months),
            "ramp_months": project.ramp_months}  # fmt: skip


def with_stockpiles(
    scenario: Scenario,
    entries: list[dict[str, Any]],
    plants: dict[str, list[dict[str, Any]]] | None = None,
) -> Scenario:
    """The scenario with the plan's stockpiles (and plants and recyclers) in place."""
    data = scenario.model_dump(exclude={"variant"})
    data["buffers"] = {**data["buffers"], "stockpiles": entries}
    if plants:
        data["responses"] = {**data["responses"], **plants}
    return Scenario.model_validate(data)


def write_scenario(scenario: Scenario, path: Path) -> str:
    """The plan as a scenario file `oreshock run` takes (the median drawn control)."""
    data = scenario.model_dump(exclude={"variant", "plan"}, mode="json", exclude_none=True)
    data["name"] = f"{scenario.name}-plan"
    data["description"] = (
        "Stockpiles and plants of the least-cost plan (oreshock plan), under the median drawn "
        "control."
    )
    write_text(path, yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
    return str(path)


def verify(
    network: Network,
    scenario: Scenario,
    group: str,
    gaps: Gaps,
    solved: Solved,
    projects: list[Project],
    cap: float,
    scenarios: int,
    seed: int,
    write_to: Path | None = None,
) -> Verified:
    block = plan_block(scenario)
    entries = stockpile_entries(network, group, gaps, solved.stock)
    plants = plant_entries(projects, solved, scenario.start, network)
    controls = draw_controls(block, scenarios, seed + 1_000_003)
    runs = [with_stockpiles(controlled(scenario, block, c), entries, plants) for c in controls]
    checked = scenario_gaps(network, runs, list(gaps.members)).on(gaps.nodes)
    exceed = checked.over_cap(cap, gaps.demand).mean(axis=0)
    shares = checked.cumulative_share(gaps.demand)  # [W, M, N]
    worst = 100 * shares.max(axis=(0, 2))
    engine_mean = 100 * shares.mean(axis=0).max(axis=1)
    total = gaps.demand.sum(axis=2)
    expected = 100 * np.divide(solved.left, total, out=np.zeros_like(total), where=total > 0)
    written = None
    if write_to is not None:
        median = Control(
            int(np.median([c.start for c in controls])),
            int(np.median([c.length for c in controls])),
            float(np.median([c.leak for c in controls])),
        )
        written = write_scenario(
            with_stockpiles(controlled(scenario, block, median), entries, plants), write_to
        )
    return Verified(
        scenarios=scenarios,
        exceed_probability={m: float(p) for m, p in zip(gaps.members, exceed, strict=True)},
        max_cumulative_shortfall_pct={
            m: float(w) for m, w in zip(gaps.members, worst, strict=True)
        },
        scenario_file=written,
        program_mean_shortfall_pct=dict(
            zip(gaps.members, expected.max(axis=1).tolist(), strict=True)
        ),
        engine_mean_shortfall_pct=dict(zip(gaps.members, engine_mean.tolist(), strict=True)),
    )
