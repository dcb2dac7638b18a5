"""Candidate non-China plants a plan may build: the dataset's ``projects`` table, plants fed
by the stage before (``capacity``) and recyclers fed by scrap (``recycling``).

A plant decided at the scenario's start makes nothing for its lead time, then ramps
linearly to its capacity; one that cannot start within the horizon contributes nothing. Its
capacity is shared among the products it can make (both NdFeB grades, say). The plan pays
its capital charge over the horizon: capex x the capital recovery factor at the carrying
rate over the plant's life, per year; the plant is taken to cover its operating cost from
its sales, so no operating cost is counted.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from oreshock.plan.gaps import PERIOD_MONTHS

PLANT_LIFE_YEARS = 20.0  # assumed (15-30): the life over which the capital is recovered


@dataclass(frozen=True)
class Project:
    project_id: str
    name: str
    country: str
    products: tuple[str, ...]
    stage: str
    capacity: float  # t/yr at full output
    capex_usd: float
    lead_months: int
    ramp_months: int
    kind: str = "capacity"  # or "recycling": fed by scrap, not by the stage before

    @property
    def nodes(self) -> list[str]:
        return [f"{p}:{self.stage}" for p in self.products]

    def quarterly(self, periods: int) -> np.ndarray:
        """[P] tonnes the whole plant can make in each quarter, decided at month 0."""
        return self.capacity / 12.0 * PERIOD_MONTHS * self.online(periods)

    def online(self, periods: int) -> np.ndarray:
        """[P] the mean share of full output in each quarter, decided at month 0."""
        months = np.arange(periods * PERIOD_MONTHS) + 0.5
        ramp = max(self.ramp_months, 1)
        share = np.clip((months - self.lead_months) / ramp, 0.0, 1.0)
        return share.reshape(periods, PERIOD_MONTHS).mean(axis=1)


def from_table(table: pd.DataFrame) -> list[Project]:
    """Projects from the dataset's ``projects`` rows."""
    return [
        Project(
            project_id=str(row["project_id"]),
            name=str(row["name"]),
            country=str(row["iso3"]),
            products=tuple(p.strip() for p in str(row["products"]).split(";") if p.strip()),
            stage=str(row["stage"]),
            capacity=float(row["capacity"]),
            capex_usd=float(row["capex_usd"]),
            lead_months=int(row["lead_months"]),
            ramp_months=int(row["ramp_months"]),
            kind=str(row.get("kind") or "capacity"),
        )
        for row in table.to_dict("records")
    ]


def usable(projects: list[Project], nodes: list[str], periods: int) -> list[Project]:
    """The projects that make a product the plan covers and produce within the horizon."""
    return [p for p in projects if set(p.nodes) & set(nodes) and p.online(periods).sum() > 0]


def capital_charge(project: Project, rate: float, periods: int) -> float:
    """USD over the horizon of building the whole project: capex x r / (1 - (1 + r)^-life)
    per year, for the horizon's years."""
    recovery = rate / (1.0 - (1.0 + rate) ** -PLANT_LIFE_YEARS)
    return project.capex_usd * recovery * periods * PERIOD_MONTHS / 12.0
