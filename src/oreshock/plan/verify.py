"""Checking a plan in the rule-based engine on fresh controls, and writing it as a scenario.

The program sees each control through gaps read stage by stage; the engine sees the whole
chain. The plan's stockpiles become the scenario's ``buffers.stockpiles`` (months of each
member's base demand at each node, released at any rate once the member runs short), the
joint stock split among members in proportion to their mean gap, since the engine holds
stockpiles by country. M controls are drawn with another seed than the plan's, run, and each
member's cumulative shortfall at each node compared with the cap: the share of controls in
which some node of a member exceeds it, and the largest shortfall seen.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from oreshock.core.atomic import write_text
from oreshock.model.network import Network
from oreshock.model.scenario import Scenario
from oreshock.plan.gaps import PERIOD_MONTHS, Gaps, scenario_gaps
from oreshock.plan.model import JOINT
from oreshock.plan.sampling import Control, controlled, draw_controls, plan_block


@dataclass(frozen=True)
class Verified:
    scenarios: int
    exceed_probability: dict[str, float]
    max_cumulative_shortfall_pct: dict[str, float]
    scenario_file: str | None


def stockpile_months(gaps: Gaps, stock: dict[tuple[str, str], float]) -> list[dict[str, Any]]:
    """``buffers.stockpiles`` entries: each member's own stock plus its share of the joint
    one (by mean gap), as months of its base demand at the node."""
    entries = []
    mean_gap = gaps.short.mean(axis=0).sum(axis=2)  # [M, N]
    for n, node in enumerate(gaps.nodes):
        mineral, stage = node.split(":")
        joint = stock.get((JOINT, node), 0.0)
        weights = mean_gap[:, n] / mean_gap[:, n].sum() if mean_gap[:, n].sum() > 0 else None
        for m, member in enumerate(gaps.members):
            tonnes = stock.get((member, node), 0.0)
            if weights is not None:
                tonnes += joint * float(weights[m])
            monthly = gaps.demand[m, n, 0] / PERIOD_MONTHS
            if tonnes <= 1e-6 or monthly <= 0:
                continue
            entries.append(
                {
                    "holder": member,
                    "minerals": [mineral],
                    "stages": [stage],
                    "months_of_demand": round(tonnes / monthly, 4),
                    "trigger": 0.0,
                    "rate": 1.0,
                    "floor": 0.0,
                }
            )
    return entries


def with_stockpiles(scenario: Scenario, entries: list[dict[str, Any]]) -> Scenario:
    data = scenario.model_dump(exclude={"variant"})
    data["buffers"] = {**data["buffers"], "stockpiles": entries}
    return Scenario.model_validate(data)


def write_scenario(scenario: Scenario, path: Path) -> str:
    """The plan as a scenario file `oreshock run` takes (the median drawn control)."""
    data = scenario.model_dump(exclude={"variant", "plan"}, mode="json", exclude_none=True)
    data["name"] = f"{scenario.name}-plan"
    data["description"] = (
        "Stockpiles of the least-cost plan (oreshock plan), under the median drawn control."
    )
    write_text(path, yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
    return str(path)


def verify(
    network: Network,
    scenario: Scenario,
    gaps: Gaps,
    stock: dict[tuple[str, str], float],
    cap: float,
    scenarios: int,
    seed: int,
    write_to: Path | None = None,
) -> Verified:
    block = plan_block(scenario)
    entries = stockpile_months(gaps, stock)
    controls = draw_controls(block, scenarios, seed + 1_000_003)
    runs = [with_stockpiles(controlled(scenario, block, c), entries) for c in controls]
    checked = scenario_gaps(network, runs, list(gaps.members))
    keep = [checked.nodes.index(n) for n in gaps.nodes if n in checked.nodes]
    short = checked.short[:, :, keep].sum(axis=3)  # [W, M, N]
    demand = checked.demand[:, keep].sum(axis=2)  # [M, N]
    share = np.divide(short, demand[None], out=np.zeros_like(short), where=demand[None] > 0)
    exceed = (share > cap + 1e-9).any(axis=2).mean(axis=0)
    worst = 100 * share.max(axis=(0, 2))
    written = None
    if write_to is not None:
        median = Control(
            int(np.median([c.start for c in controls])),
            int(np.median([c.length for c in controls])),
            float(np.median([c.leak for c in controls])),
        )
        written = write_scenario(
            with_stockpiles(controlled(scenario, block, median), entries), write_to
        )
    return Verified(
        scenarios=scenarios,
        exceed_probability={m: float(p) for m, p in zip(gaps.members, exceed, strict=True)},
        max_cumulative_shortfall_pct={
            m: float(w) for m, w in zip(gaps.members, worst, strict=True)
        },
        scenario_file=written,
    )
