"""Future controls for a plan: the scenario's ``plan:`` block drawn into N scenarios.

A plan prepares for a control that has not happened, so each sampled scenario replaces the
scenario's shocks by one ban of the block's exporter on its destinations (direct exports and
re-exports of its material through third countries), starting at a drawn month after the
scenario's start, lasting a drawn number of months and letting a drawn share through. The
draws are a Latin hypercube (scipy), seeded, so a plan is reproducible.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.stats import qmc

from oreshock.core.errors import ScenarioError
from oreshock.core.months import add_months
from oreshock.model.scenario import PlanControl, Scenario


@dataclass(frozen=True)
class Control:
    """One drawn control: months from the start, length in months, share let through."""

    start: int
    length: int
    leak: float


def draw_controls(block: PlanControl, n: int, seed: int) -> list[Control]:
    """N controls from the block's ranges (Latin hypercube over the three)."""
    if n < 1:
        raise ScenarioError(f"--scenarios: expected at least 1, found {n}")
    ranges = (block.start_months, block.length_months, block.leak_share)
    if n > 1 and all(low == high for low, high in ranges):
        raise ScenarioError(
            f"--scenarios {n}: the plan block's start_months, length_months and leak_share "
            "are single values, so every drawn control would be the same; expected "
            "--scenarios 1 or a range in at least one of them"
        )
    unit = qmc.LatinHypercube(d=3, seed=seed).random(n)
    lows = np.array([block.start_months[0], block.length_months[0], block.leak_share[0]])
    highs = np.array([block.start_months[1], block.length_months[1], block.leak_share[1]])
    values = lows + unit * (highs - lows)
    return [Control(round(s), max(round(m), 1), round(float(k), 4)) for s, m, k in values]


def controlled(scenario: Scenario, block: PlanControl, control: Control) -> Scenario:
    """The scenario with its shocks replaced by the drawn control (responses kept out: the
    plan is what responds)."""
    start = add_months(scenario.start, control.start)
    end = add_months(start, control.length)
    ban = {
        "type": "export_ban",
        "exporter": block.exporter,
        "destinations": block.destinations,
        "start": start,
        "end": end,
        "share": 1.0 - control.leak,
    }
    reexport = {
        "type": "reexport_control",
        "origin": block.exporter,
        "destinations": block.destinations,
        "start": start,
        "end": end,
    }
    data = scenario.model_dump(exclude={"shocks", "responses", "plan", "variant"})
    data["buffers"] = {"commercial_stocks": scenario.buffers.commercial_stocks}
    return Scenario.model_validate({**data, "shocks": [ban, reexport]})


def plan_block(scenario: Scenario) -> PlanControl:
    if scenario.plan is None:
        raise ScenarioError(
            f"scenario {scenario.name!r} has no plan: block (the future control a plan "
            "prepares for: exporter, destinations, start_months, length_months, leak_share)"
        )
    if scenario.plan.start_months[1] >= scenario.months:
        raise ScenarioError(
            f"scenario {scenario.name!r}, plan.start_months: a control may start up to month "
            f"{scenario.plan.start_months[1]}, beyond the {scenario.months}-month horizon; "
            "expected starts within it"
        )
    return scenario.plan
