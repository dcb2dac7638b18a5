"""Which of the dataset's stock ranges a scenario uses, as distributions to sample.

A stock row that is estimated or assumed carries ``low`` and ``high`` beside its central
``value``. A single run uses the value; an ensemble (``oreshock run --uncertainty``) treats each
range the scenario actually uses as an uncertain parameter at
``buffers.stock_levels.<holder>.<ISO3>.<mineral>.<stage>`` (a family's row, which each of its
products carries, under the family's id: one level drawn once for all of them), drawn from a triangular
distribution on (low, value, high): bounded by the documented range and most likely at the
documented central value, which a uniform draw over a wide "nothing published" range would not
keep.
"""

from __future__ import annotations

import math

import pandas as pd

from oreshock.model.network import Network
from oreshock.model.scenario import Scenario

STOCK_LEVELS = ("buffers", "stock_levels")


def stock_path(holder: str, iso3: str, mineral: str, stage: str) -> tuple[str, ...]:
    """Where a dataset stock level sits in a scenario document."""
    return (*STOCK_LEVELS, holder, iso3, mineral, stage)


def _used(scenario: Scenario, network: Network, mineral: str, row: pd.Series) -> bool:
    """Whether the scenario reads this dataset stock row at its dataset level."""
    buffers = scenario.buffers
    holder, iso3, stage = str(row["holder"]), str(row["iso3"]), str(row["stage"])
    chain = network.chain(mineral)
    if iso3 not in chain.countries or stage not in chain.stages:
        return False
    if chain.consumption[chain.countries.index(iso3), chain.stages.index(stage)] <= 0:
        return False  # a level in days or months of no demand is no stock at all
    own = buffers.stock_levels.get(holder, {})  # type: ignore[call-overload]
    for key in (mineral, chain.family):
        if key and stage in own.get(iso3, {}).get(key, {}):
            return False  # the scenario sets this level itself (or samples its own range)
    if holder == "commercial":
        return buffers.commercial_stocks and iso3 not in buffers.commercial_months
    for pile in buffers.stockpiles:
        if pile.months_of_demand is not None or not chain.named_by(pile.minerals):
            continue
        if (
            iso3 in network.members(pile.holder)
            and chain.stage_mask(pile.stages)[chain.stages.index(stage)]
        ):
            return True
    return False


def stock_ranges(scenario: Scenario, network: Network) -> dict[tuple, dict]:
    """{path in the scenario document: triangular spec} for every dataset stock range the
    scenario uses (rows without a range, or with low == high, are certain and left out)."""
    out: dict[tuple, dict] = {}
    for mineral in network.covered(scenario):
        chain = network.chain(mineral)
        rows = chain.stock_rows
        for _, row in rows.iterrows():
            low, value, high = (float(row[c]) for c in ("low", "value", "high"))
            if any(math.isnan(x) for x in (low, value, high)) or not low < high:
                continue
            if not _used(scenario, network, mineral, row):
                continue
            # A family's row (copied to each product) is one uncertain level, drawn once.
            owner = chain.family or mineral
            path = stock_path(str(row["holder"]), str(row["iso3"]), owner, str(row["stage"]))
            out[path] = {"dist": "triangular", "low": low, "mode": value, "high": high}
    return out
